using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;

namespace Certify.Operators;

/// <summary>
/// The network input: its bounds are the given input box, and the backward passes end there (the engine concretises the
/// coefficients over the box: <c>A·center ∓ |A|·radius</c>).
/// </summary>
public sealed class InputRule : BoundRule<InputOp>
{
    protected override Interval Ibp(InputOp op, Node node, IReadOnlyList<Interval> inputs) =>
        throw new InvalidOperationException("the input node's bounds are given, not computed");

    public override BackwardResult Backward(BackwardStep step) =>
        throw new InvalidOperationException("backward passes end at the input node");
}

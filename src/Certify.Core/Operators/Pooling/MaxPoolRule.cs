using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Max pooling: nondecreasing in every input, so IBP pools the lower and upper bounds.
/// </summary>
public sealed class MaxPoolRule : BoundRule<MaxPoolOp>
{
    public override bool NeedsInputBounds => true;
    public override bool HasCrownRule(Node node) => false;

    protected override Interval Ibp(MaxPoolOp op, Node node, IReadOnlyList<Interval> inputs) => Monotone(inputs[0], t => op.Forward(new[] { t }));
}

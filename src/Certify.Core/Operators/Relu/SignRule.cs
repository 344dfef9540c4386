using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Sign: nondecreasing, so IBP is <c>[sign(l), sign(u)]</c>. It is discontinuous at 0 and has no useful linear
/// relaxation: CROWN uses the interval bounds for it (reported as an IBP fallback).
/// </summary>
public sealed class SignRule : BoundRule<SignOp>
{
    protected override Interval Ibp(SignOp op, Node node, IReadOnlyList<Interval> inputs) => Monotone(inputs[0], sign);
    public override bool HasCrownRule(Node node) => false;
    public override bool NeedsInputBounds => true;
}

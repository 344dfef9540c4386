using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Shared rule of elementwise Max and Min of two variables: IBP takes the max (min) of the bounds, exact; CROWN and
/// forward mode use the planes of <see cref="PairMaxLines"/>. Operands of different shapes broadcast (bounds are
/// expanded, coefficients summed back over the broadcast axes).
/// </summary>
public abstract class PairExtremumRule<TOp> : BoundRule<TOp> where TOp : Op
{
    public override bool NeedsInputBounds => true;

    /// <summary>The lines on the box.</summary>
    protected abstract PairMaxLines Lines(Tensor la, Tensor ua, Tensor lb, Tensor ub);

    /// <summary>The elementwise function of two tensors (maximum or minimum).</summary>
    protected abstract Tensor Pick(Tensor a, Tensor b);

    protected override Interval Ibp(TOp op, Node node, IReadOnlyList<Interval> inputs) =>
        new(Pick(inputs[0].Lower, inputs[1].Lower), Pick(inputs[0].Upper, inputs[1].Upper));

    PairMaxLines LinesOf(IReadOnlyList<Interval> inputs, Node node)
    {
        var shape = ComputationGraph.ShapeWithBatch(inputs[0].Batch, node.Shape);
        Tensor E(Tensor t) => t.expand(shape);
        return Lines(E(inputs[0].Lower), E(inputs[0].Upper), E(inputs[1].Lower), E(inputs[1].Upper));
    }

    public override BackwardResult Backward(BackwardStep step)
    {
        var p = LinesOf(step.Inputs, step.Node);
        var r = new BackwardResult(2);
        (Tensor, Tensor, Tensor) Through(Tensor a, bool lowerPass)
        {
            var pos = a.clamp_min(0); var neg = a.clamp_max(0);
            // In the lower pass positive coefficients take the lower line; in the upper pass the upper line.
            var (pa, pb, pc) = lowerPass ? (p.LowerA, p.LowerB, p.LowerBias) : (p.UpperA, p.UpperB, p.UpperBias);
            var (na, nb, nc) = lowerPass ? (p.UpperA, p.UpperB, p.UpperBias) : (p.LowerA, p.LowerB, p.LowerBias);
            var ca = pos * pa.unsqueeze(1) + neg * na.unsqueeze(1);
            var cb = pos * pb.unsqueeze(1) + neg * nb.unsqueeze(1);
            var bias = Relax.Dot(pos, pc.unsqueeze(1)) + Relax.Dot(neg, nc.unsqueeze(1));
            return (Broadcast.Unbroadcast(ca, step.InputNodes[0].Shape), Broadcast.Unbroadcast(cb, step.InputNodes[1].Shape), bias);
        }
        if (step.LowerA is { } la) (r.LowerA[0], r.LowerA[1], r.LowerBias) = Through(la, true);
        if (step.UpperA is { } ua) (r.UpperA[0], r.UpperA[1], r.UpperBias) = Through(ua, false);
        return r;
    }

    /// <summary>The coefficients of both lines are nonnegative, so the lower line maps the inputs' lower bounds and the upper line their upper bounds.</summary>
    public override LinearBounds? Forward(Node node, IReadOnlyList<LinearBounds> inputs, IReadOnlyList<Interval> inputBounds)
    {
        var (a, b) = (inputs[0], inputs[1]);
        if (!a.LowerB.shape.SequenceEqual(b.LowerB.shape) || !a.LowerB.shape.Skip(1).SequenceEqual(node.Shape)) return null;
        var p = LinesOf(inputBounds, node);
        Tensor W(Tensor c) => c.unsqueeze(-1);
        return new LinearBounds(
            a.LowerW * W(p.LowerA) + b.LowerW * W(p.LowerB), a.LowerB * p.LowerA + b.LowerB * p.LowerB + p.LowerBias,
            a.UpperW * W(p.UpperA) + b.UpperW * W(p.UpperB), a.UpperB * p.UpperA + b.UpperB * p.UpperB + p.UpperBias);
    }
}

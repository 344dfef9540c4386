using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Product of two variables <c>z = x·y</c>. IBP: the min and max of the four corner products. CROWN: McCormick planes,
/// from <c>(x − l_x)(y − l_y) ≥ 0</c> below (<c>z ≥ l_y·x + l_x·y − l_x·l_y</c>) and <c>(x − l_x)(y − u_y) ≤ 0</c> above
/// (<c>z ≤ u_y·x + l_x·y − l_x·u_y</c>). Both are valid for any point of the box, so also when x and y are the same node.
/// alpha-CROWN mixes in the other plane of each pair (see <see cref="ParameterisedBackward"/>).
/// </summary>
public sealed class MulRule : BoundRule<MulOp>, IOptimisableRule
{
    public override bool NeedsInputBounds => true;

    protected override Interval Ibp(MulOp op, Node node, IReadOnlyList<Interval> inputs)
    {
        var x = inputs[0]; var y = inputs[1];
        var a = x.Lower * y.Lower; var b = x.Lower * y.Upper; var c = x.Upper * y.Lower; var d = x.Upper * y.Upper;
        return new Interval(minimum(minimum(a, b), minimum(c, d)), maximum(maximum(a, b), maximum(c, d)));
    }

    /// <summary>Two parameters per element: the weight λ of the first lower plane and μ of the first upper plane.</summary>
    public long[]? ParameterShape(Node node) => new[] { 2L }.Concat(node.Shape).ToArray();

    /// <summary>CROWN's planes: the first of each pair (λ = μ = 1).</summary>
    public Tensor InitialParameters(Node node, IReadOnlyList<Interval> inputs)
    {
        var batchShape = ComputationGraph.ShapeWithBatch(inputs[0].Batch, node.Shape);
        var lx = inputs[0].Lower.expand(batchShape);
        return ones_like(lx).unsqueeze(1).expand(ComputationGraph.ShapeWithBatch(inputs[0].Batch, ParameterShape(node)!)).contiguous();
    }

    public override BackwardResult Backward(BackwardStep step)
    {
        if (step.AlphaLowerPass is not null || step.AlphaUpperPass is not null) return ParameterisedBackward(step);
        var shape = step.Node.Shape;
        var batchShape = ComputationGraph.ShapeWithBatch(step.Inputs[0].Batch, shape);
        var lx = step.Inputs[0].Lower.expand(batchShape).unsqueeze(1);
        var ly = step.Inputs[1].Lower.expand(batchShape).unsqueeze(1);
        var uy = step.Inputs[1].Upper.expand(batchShape).unsqueeze(1);
        var r = new BackwardResult(2);
        // lower plane: ly·x + lx·y − lx·ly ; upper plane: uy·x + lx·y − lx·uy  (all [B, 1, *shape])
        (Tensor Ax, Tensor Ay, Tensor Bias) Through(Tensor a, bool lowerPass)
        {
            var pos = a.clamp_min(0); var neg = a.clamp_max(0);
            var (pl, nl) = lowerPass ? (ly, uy) : (uy, ly);   // x-slope for positive / negative coefficients
            var ax = pos * pl + neg * nl;
            var ay = a * lx;
            var bias = Relax.Dot(pos, -(lx * pl)) + Relax.Dot(neg, -(lx * nl));
            return (Broadcast.Unbroadcast(ax, step.InputNodes[0].Shape), Broadcast.Unbroadcast(ay, step.InputNodes[1].Shape), bias);
        }
        if (step.LowerA is { } la) { var t = Through(la, true); r.LowerA[0] = t.Ax; r.LowerA[1] = t.Ay; r.LowerBias = t.Bias; }
        if (step.UpperA is { } ua) { var t = Through(ua, false); r.UpperA[0] = t.Ax; r.UpperA[1] = t.Ay; r.UpperBias = t.Bias; }
        return r;
    }

    /// <summary>
    /// alpha-CROWN: the other two McCormick planes are as valid, <c>z ≥ u_y·x + u_x·y − u_x·u_y</c> (from
    /// <c>(x − u_x)(y − u_y) ≥ 0</c>) and <c>z ≤ l_y·x + u_x·y − u_x·l_y</c> (from <c>(x − u_x)(y − l_y) ≤ 0</c>), so every
    /// convex combination is: the lower plane is <c>λ·P₁ + (1−λ)·P₂</c> and the upper plane <c>μ·Q₁ + (1−μ)·Q₂</c>, with
    /// λ and μ per element and per row (<c>[B, S, 2, *shape]</c>). Which one is best depends on the rest of the network,
    /// which is what the optimiser sees.
    /// </summary>
    BackwardResult ParameterisedBackward(BackwardStep step)
    {
        var shape = step.Node.Shape;
        var batchShape = ComputationGraph.ShapeWithBatch(step.Inputs[0].Batch, shape);
        Tensor Row(Tensor t) => t.expand(batchShape).unsqueeze(1);
        var lx = Row(step.Inputs[0].Lower); var ux = Row(step.Inputs[0].Upper);
        var ly = Row(step.Inputs[1].Lower); var uy = Row(step.Inputs[1].Upper);
        var r = new BackwardResult(2);
        // Plane coefficients (x, y, constant) for the mixing weight w of the first plane.
        (Tensor X, Tensor Y, Tensor C) Lower(Tensor w) => (w * ly + (1 - w) * uy, w * lx + (1 - w) * ux, -(w * (lx * ly) + (1 - w) * (ux * uy)));
        (Tensor X, Tensor Y, Tensor C) Upper(Tensor w) => (w * uy + (1 - w) * ly, w * lx + (1 - w) * ux, -(w * (lx * uy) + (1 - w) * (ux * ly)));
        (Tensor L, Tensor U) Weights(Tensor? theta)
        {
            if (theta is null) { var one = ones_like(lx); return (one, one); }
            var t = theta.clamp(0, 1);
            return (t.select(2, 0), t.select(2, 1));
        }
        (Tensor Ax, Tensor Ay, Tensor Bias) Through(Tensor a, (Tensor X, Tensor Y, Tensor C) pos, (Tensor X, Tensor Y, Tensor C) neg)
        {
            var p = a.clamp_min(0); var n = a.clamp_max(0);
            var ax = p * pos.X + n * neg.X;
            var ay = p * pos.Y + n * neg.Y;
            var bias = Relax.Dot(p, pos.C) + Relax.Dot(n, neg.C);
            return (Broadcast.Unbroadcast(ax, step.InputNodes[0].Shape), Broadcast.Unbroadcast(ay, step.InputNodes[1].Shape), bias);
        }
        if (step.LowerA is { } la)
        {
            var (wl, wu) = Weights(step.AlphaLowerPass);
            var t = Through(la, Lower(wl), Upper(wu));
            r.LowerA[0] = t.Ax; r.LowerA[1] = t.Ay; r.LowerBias = t.Bias;
        }
        if (step.UpperA is { } ua)
        {
            var (wl, wu) = Weights(step.AlphaUpperPass);
            var t = Through(ua, Upper(wu), Lower(wl));
            r.UpperA[0] = t.Ax; r.UpperA[1] = t.Ay; r.UpperBias = t.Bias;
        }
        return r;
    }
}

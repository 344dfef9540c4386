using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Product of two variables <c>z = x·y</c>. IBP: the min and max of the four corner products. CROWN: McCormick planes,
/// from <c>(x − l_x)(y − l_y) ≥ 0</c> below (<c>z ≥ l_y·x + l_x·y − l_x·l_y</c>) and <c>(x − l_x)(y − u_y) ≤ 0</c> above
/// (<c>z ≤ u_y·x + l_x·y − l_x·u_y</c>). Both are valid for any point of the box, so also when x and y are the same node.
/// </summary>
public sealed class MulRule : BoundRule<MulOp>
{
    public override bool NeedsInputBounds => true;

    protected override Interval Ibp(MulOp op, Node node, IReadOnlyList<Interval> inputs)
    {
        var x = inputs[0]; var y = inputs[1];
        var a = x.Lower * y.Lower; var b = x.Lower * y.Upper; var c = x.Upper * y.Lower; var d = x.Upper * y.Upper;
        return new Interval(minimum(minimum(a, b), minimum(c, d)), maximum(maximum(a, b), maximum(c, d)));
    }

    public override BackwardResult Backward(BackwardStep step)
    {
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
}

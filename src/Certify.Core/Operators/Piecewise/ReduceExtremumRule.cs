using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Shared rule of ReduceMax and ReduceMin (min through <c>min(x) = −max(−x)</c>). IBP reduces the bounds (exact: the
/// op is nondecreasing in every element). CROWN and forward mode, per group of reduced elements, from the candidates
/// (elements whose upper bound reaches the largest lower bound; no other element can be the maximum):
/// <list type="bullet">
/// <item>one candidate: the maximum is that element, exactly;</item>
/// <item>two candidates: the maximum of the two, with the planes of <see cref="PairMaxLines"/>;</item>
/// <item>more: the element with the largest lower bound below, the largest upper bound (a constant) above.</item>
/// </list>
/// The lines' weights are ≥ 0, so forward mode maps lower bounds through the lower line and upper through the upper.
/// </summary>
public abstract class ReduceExtremumRule<TOp> : BoundRule<TOp> where TOp : Op
{
    public override bool NeedsInputBounds => true;

    /// <summary>+1 for max, −1 for min.</summary>
    protected abstract int Sign { get; }

    protected abstract long[] Axes(TOp op);
    protected abstract bool KeepDims(TOp op);

    protected override Interval Ibp(TOp op, Node node, IReadOnlyList<Interval> inputs) =>
        new(op.Forward(new[] { inputs[0].Lower }), op.Forward(new[] { inputs[0].Upper }));

    /// <summary>Sample axes in the grouped order: the kept axes, then the reduced ones.</summary>
    long[] Perm(TOp op, int rank)
    {
        var reduced = Axes(op).ToHashSet();
        return Enumerable.Range(0, rank).Select(i => (long)i).Where(i => !reduced.Contains(i)).Concat(Axes(op).OrderBy(a => a)).ToArray();
    }

    /// <summary><c>[lead..., *sample]</c> → <c>[lead..., G, K]</c> (kept axes flattened into G, reduced into K); <paramref name="lead"/> leading axes stay.</summary>
    Tensor Group(TOp op, Tensor t, long[] inShape, int lead)
    {
        var perm = Perm(op, inShape.Length);
        var full = Enumerable.Range(0, lead).Select(i => (long)i).Concat(perm.Select(p => p + lead)).ToArray();
        long k = Axes(op).Aggregate(1L, (a, ax) => a * inShape[ax]);
        long g = inShape.Aggregate(1L, (a, d) => a * d) / k;
        return t.permute(full).reshape(t.shape.Take(lead).Concat(new[] { g, k }).ToArray());
    }

    /// <summary>The inverse of <see cref="Group"/> for <paramref name="lead"/> leading axes.</summary>
    Tensor Ungroup(TOp op, Tensor t, long[] inShape, int lead)
    {
        var perm = Perm(op, inShape.Length);
        var permuted = t.reshape(t.shape.Take(lead).Concat(perm.Select(p => inShape[p])).ToArray());
        var inverse = new long[perm.Length];
        for (int i = 0; i < perm.Length; i++) inverse[perm[i]] = i;
        return permuted.permute(Enumerable.Range(0, lead).Select(i => (long)i).Concat(inverse.Select(p => p + lead)).ToArray());
    }

    /// <summary>
    /// Per group, lower line <c>wL·x + bL</c> and upper line <c>wU·x + bU</c> of the reduction over the group's elements x
    /// (<c>w [B, G, K]</c>, <c>b [B, G]</c>), in terms of the original (not negated) elements.
    /// </summary>
    (Tensor WL, Tensor BL, Tensor WU, Tensor BU) Lines(TOp op, Interval x, long[] inShape)
    {
        var gl = Group(op, x.Lower, inShape, 1); var gu = Group(op, x.Upper, inShape, 1);
        // Work with the maximum of x' = Sign·x.
        var (l, u) = Sign > 0 ? (gl, gu) : (-gu, -gl);
        var (maxL, best) = l.max(-1, keepdim: true);                                   // [B, G, 1]
        var candidates = u.ge(maxL);
        var count = candidates.sum(-1, type: ScalarType.Int64);                        // [B, G]
        var onehotBest = zeros_like(l).scatter(-1, best, ones_like(maxL));
        var (top, topIdx) = u.topk(Math.Min(2, (int)l.shape[^1]), -1);                 // [B, G, ≤2]
        Tensor wL = onehotBest, wU = zeros_like(l);
        var bL = zeros_like(maxL.squeeze(-1)); var bU = u.amax(new long[] { -1 });
        if (l.shape[^1] >= 2)
        {
            var i1 = topIdx.narrow(-1, 0, 1); var i2 = topIdx.narrow(-1, 1, 1);
            Tensor At(Tensor t, Tensor i) => t.gather(-1, i).squeeze(-1);
            var p = PairMaxLines.ForMax(At(l, i1), At(u, i1), At(l, i2), At(u, i2));
            Tensor Spread(Tensor ca, Tensor cb) =>
                zeros_like(l).scatter_add(-1, i1, ca.unsqueeze(-1)).scatter_add(-1, i2, cb.unsqueeze(-1));
            var two = count.eq(2);
            var two3 = two.unsqueeze(-1);
            wL = where(two3, Spread(p.LowerA, p.LowerB), wL); bL = where(two, p.LowerBias, bL);
            wU = where(two3, Spread(p.UpperA, p.UpperB), wU); bU = where(two, p.UpperBias, bU);
        }
        var one = count.le(1);
        wU = where(one.unsqueeze(-1), onehotBest, wU); bU = where(one, zeros_like(bU), bU);
        // Back to the original elements: max(x') ≥ wL·x' + bL gives min(x) = −max(x') ≤ wL·x − bL, and the other way round.
        return Sign > 0 ? (wL, bL, wU, bU) : (wU, -bU, wL, -bL);
    }

    /// <summary><c>[B, S, *out]</c> → <c>[B, S, G]</c>.</summary>
    Tensor GroupOutput(TOp op, Tensor a, long[] inShape)
    {
        long k = Axes(op).Aggregate(1L, (p, ax) => p * inShape[ax]);
        long g = inShape.Aggregate(1L, (p, d) => p * d) / k;
        if (!KeepDims(op)) return a.reshape(a.shape[0], a.shape[1], g);
        // Kept reduced axes have size 1: moving them last (as Group does) keeps the order of the others.
        return Group(op, a, inShape.Select((d, i) => Axes(op).Contains(i) ? 1L : d).ToArray(), 2).reshape(a.shape[0], a.shape[1], g);
    }

    public override BackwardResult Backward(BackwardStep step)
    {
        var op = (TOp)step.Node.Op;
        var inShape = step.InputNodes[0].Shape;
        var (wL, bL, wU, bU) = Lines(op, step.Inputs[0], inShape);
        var r = new BackwardResult(1);
        (Tensor, Tensor) Through(Tensor a, bool lowerPass)
        {
            var ga = GroupOutput(op, a, inShape);                                        // [B, S, G]
            var pos = ga.clamp_min(0); var neg = ga.clamp_max(0);
            var (pw, pb, nw, nb) = lowerPass ? (wL, bL, wU, bU) : (wU, bU, wL, bL);
            var coef = pos.unsqueeze(-1) * pw.unsqueeze(1) + neg.unsqueeze(-1) * nw.unsqueeze(1);   // [B, S, G, K]
            var bias = (pos * pb.unsqueeze(1) + neg * nb.unsqueeze(1)).sum(-1);
            return (Ungroup(op, coef, inShape, 2), bias);
        }
        if (step.LowerA is { } la) (r.LowerA[0], r.LowerBias) = Through(la, true);
        if (step.UpperA is { } ua) (r.UpperA[0], r.UpperBias) = Through(ua, false);
        return r;
    }

    public override LinearBounds? Forward(Node node, IReadOnlyList<LinearBounds> inputs, IReadOnlyList<Interval> inputBounds)
    {
        var op = (TOp)node.Op;
        var x = inputs[0];
        var inShape = inputBounds[0].Lower.shape.Skip(1).ToArray();
        var (wL, bL, wU, bU) = Lines(op, inputBounds[0], inShape);
        long batch = x.LowerB.shape[0], d = x.LowerW.shape[^1];
        // Coefficients [B, *in, d]: group the sample axes (d stays last), then weight and sum over K.
        Tensor GroupW(Tensor w) => Group(op, w.movedim(new[] { -1L }, new[] { 1L }), inShape, 2);                         // [B, d, G, K]
        var lw = (GroupW(x.LowerW) * wL.unsqueeze(1)).sum(-1).movedim(new[] { 1L }, new[] { -1L });                       // [B, G, d]
        var uw = (GroupW(x.UpperW) * wU.unsqueeze(1)).sum(-1).movedim(new[] { 1L }, new[] { -1L });
        var lb = (Group(op, x.LowerB, inShape, 1) * wL).sum(-1) + bL;
        var ub = (Group(op, x.UpperB, inShape, 1) * wU).sum(-1) + bU;
        var outShape = new[] { batch }.Concat(node.Shape).ToArray();
        return new LinearBounds(lw.reshape(outShape.Append(d).ToArray()), lb.reshape(outShape), uw.reshape(outShape.Append(d).ToArray()), ub.reshape(outShape));
    }
}

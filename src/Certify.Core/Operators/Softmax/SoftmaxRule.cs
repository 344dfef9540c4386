using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Softmax along one axis. IBP: output i is smallest when x_i is at its lower bound and every other x_j at its upper
/// bound, <c>e^{l_i} / (e^{l_i} + Σ_{j≠i} e^{u_j})</c>, and symmetrically for the upper bound (computed with a max shift
/// for stability).
/// <para>
/// CROWN: each output as a function of the logit differences, <c>y_i = 1/s_i</c> with <c>s_i = 1 + Σ_{j≠i} e^{d_ij}</c>
/// and <c>d_ij = x_j − x_i ∈ [l_j − u_i, u_j − l_i]</c>. Each <c>e^{d}</c> lies below its chord on that range and above its
/// tangent at the midpoint (exp is convex), so <c>s_i</c> has a linear lower bound <c>S_lo(x)</c> and upper bound
/// <c>S_hi(x)</c> and lies in <c>[s_lo, s_hi]</c> (sums of the end values). <c>1/s</c> is convex and decreasing there:
/// <list type="bullet">
/// <item>below by its tangent at the midpoint <c>s₀</c>: <c>y_i ≥ 2/s₀ − s_i/s₀² ≥ 2/s₀ − S_hi(x)/s₀²</c>;</item>
/// <item>above by its chord: <c>y_i ≤ (s_lo + s_hi − s_i)/(s_lo·s_hi) ≤ (s_lo + s_hi − S_lo(x))/(s_lo·s_hi)</c>.</item>
/// </list>
/// Both are linear in x, with a positive weight on x_i and negative ones on the others. The constants are widened by
/// a few units of rounding. An output whose line is not finite (a difference range too wide for exp), or is worse on
/// average over the box (at its centre) than the output's interval bound, keeps that bound as a constant. Measured on
/// small ReLU classifiers with a softmax output (rows y₀ − y_j), the lines narrow the rows by a third on small boxes
/// and are within 0.5% of the constants on wide ones.
/// </para>
/// </summary>
public sealed class SoftmaxRule : BoundRule<SoftmaxOp>
{
    public override bool NeedsInputBounds => true;

    protected override Interval Ibp(SoftmaxOp op, Node node, IReadOnlyList<Interval> inputs)
    {
        var x = inputs[0];
        long axis = op.Axis + 1;
        var shift = x.Upper.amax(new[] { axis }, keepdim: true);
        var el = exp(x.Lower - shift); var eu = exp(x.Upper - shift);
        var sumU = eu.sum(axis, keepdim: true); var sumL = el.sum(axis, keepdim: true);
        var othersU = (sumU - eu).clamp_min(0); var othersL = (sumL - el).clamp_min(0);
        var lower = el / (el + othersU);
        var upper = eu / (eu + othersL);
        return new Interval(lower.clamp(0, 1), upper.clamp(0, 1));
    }

    public override BackwardResult Backward(BackwardStep step)
    {
        var op = (SoftmaxOp)step.Node.Op;
        int axis = op.Axis + 1;                                                  // in [B, *shape]
        var x = step.Inputs[0];
        var box = Ibp(op, step.Node, step.Inputs);
        var lines = Lines(Move(x.Lower, axis, -1), Move(x.Upper, axis, -1), Move(box.Lower, axis, -1), Move(box.Upper, axis, -1));

        // A pass: coefficients ≥ 0 take the line on the pass's side, the others the other line. Softmax axis last.
        (Tensor A, Tensor Bias) Through(Tensor a, bool lowerPass)
        {
            var am = Move(a, axis + 1, -1);                                    // [B, S, ..., n]
            var pos = am.clamp_min(0); var neg = am.clamp_max(0);
            var (wp, cp, wn, cn) = lowerPass ? (lines.WLow, lines.CLow, lines.WUp, lines.CUp) : (lines.WUp, lines.CUp, lines.WLow, lines.CLow);
            var coeff = matmul(pos.unsqueeze(-2), wp.unsqueeze(1)).squeeze(-2) + matmul(neg.unsqueeze(-2), wn.unsqueeze(1)).squeeze(-2);
            var bias = Relax.Dot(pos, cp.unsqueeze(1)) + Relax.Dot(neg, cn.unsqueeze(1));
            return (Move(coeff, -1, axis + 1), bias);
        }

        var r = new BackwardResult(1);
        if (step.LowerA is { } la) (r.LowerA[0], r.LowerBias) = Through(la, true);
        if (step.UpperA is { } ua) (r.UpperA[0], r.UpperBias) = Through(ua, false);
        return r;
    }

    static Tensor Move(Tensor t, long from, long to) => t.movedim(new[] { from }, new[] { to });

    /// <summary>
    /// The lines of every output i over the logits j, softmax axis last: <c>y_i ≥ Σ_j WLow[i, j]·x_j + CLow[i]</c> and
    /// <c>y_i ≤ Σ_j WUp[i, j]·x_j + CUp[i]</c> (W <c>[..., n, n]</c>, C <c>[..., n]</c>). <paramref name="yl"/>,
    /// <paramref name="yu"/> are the interval bounds of the outputs (the fallback).
    /// </summary>
    static (Tensor WLow, Tensor CLow, Tensor WUp, Tensor CUp) Lines(Tensor l, Tensor u, Tensor yl, Tensor yu)
    {
        long n = l.shape[^1];
        var off = 1 - eye(n, dtype: l.dtype, device: l.device);                 // j ≠ i
        var lo = (l.unsqueeze(-2) - u.unsqueeze(-1)) * off;                      // [..., i, j]: lower bound of x_j − x_i
        var hi = (u.unsqueeze(-2) - l.unsqueeze(-1)) * off;
        var width = hi - lo;
        var narrow = width.lt(1e-9);
        var eLo = exp(lo); var eHi = exp(hi);
        // Chord of exp above (constant e^hi on a narrow range), tangent at the midpoint below.
        var cs = where(narrow, zeros_like(width), (eHi - eLo) / where(narrow, ones_like(width), width));
        var cb = where(narrow, eHi, eLo - cs * lo);
        var mid = (lo + hi) / 2;
        var ts = exp(mid);
        var tb = ts * (1 - mid);
        cs *= off; cb *= off; ts *= off; tb *= off;
        var sLo = 1 + (eLo * off).sum(-1); var sHi = 1 + (eHi * off).sum(-1); // [..., i]
        var eyeN = eye(n, dtype: l.dtype, device: l.device);
        // Lower line: 2/s0 − (1 + Σ_j cs_ij (x_j − x_i) + cb_ij)/s0².
        var s0 = (sLo + sHi) / 2;
        var g = 1 / (s0 * s0);
        var wLow = -g.unsqueeze(-1) * cs + eyeN * (g * cs.sum(-1)).unsqueeze(-1);
        var lowTerms = (2 / s0, g * (1 + cb.sum(-1)));
        var cLow = lowTerms.Item1 - lowTerms.Item2;
        // Upper line: (sLo + sHi − 1 − Σ_j ts_ij (x_j − x_i) + tb_ij)/(sLo·sHi).
        var h = 1 / (sLo * sHi);
        var wUp = -h.unsqueeze(-1) * ts + eyeN * (h * ts.sum(-1)).unsqueeze(-1);
        var upTerms = (h * (sLo + sHi), h * (1 + tb.sum(-1)));
        var cUp = upTerms.Item1 - upTerms.Item2;

        // Outward margin against rounding in exp, the sums and the evaluation of the lines at any x of the box.
        double eps = l.dtype == ScalarType.Float64 ? 1e-12 : 1e-5;
        var reach = maximum(l.abs(), u.abs()).unsqueeze(-2);                    // [..., 1, j]
        cLow = cLow - eps * (1 + lowTerms.Item1.abs() + lowTerms.Item2.abs() + (wLow.abs() * reach).sum(-1));
        cUp = cUp + eps * (1 + upTerms.Item1.abs() + upTerms.Item2.abs() + (wUp.abs() * reach).sum(-1));

        // Outputs whose lines are not finite, or whose mean over the box (the value at its centre) is worse than the
        // interval bound, keep the interval bound as a constant.
        var centre = ((l + u) / 2).unsqueeze(-2);                                 // [..., 1, j]
        var okLow = wLow.isfinite().all(-1).logical_and(cLow.isfinite()).logical_and(((wLow * centre).sum(-1) + cLow).ge(yl));
        var okUp = wUp.isfinite().all(-1).logical_and(cUp.isfinite()).logical_and(((wUp * centre).sum(-1) + cUp).le(yu));
        wLow = where(okLow.unsqueeze(-1), wLow, zeros_like(wLow)); cLow = where(okLow, cLow, yl);
        wUp = where(okUp.unsqueeze(-1), wUp, zeros_like(wUp)); cUp = where(okUp, cUp, yu);
        return (wLow, cLow, wUp, cUp);
    }
}

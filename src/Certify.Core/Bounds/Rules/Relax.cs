using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Bounds.Rules;

/// <summary>
/// Elementwise linear relaxation of a nonlinear function f on the box of its input:
/// <c>LowerSlope·x + LowerBias ≤ f(x) ≤ UpperSlope·x + UpperBias</c>. Each tensor is <c>[B, *shape]</c>, or
/// <c>[B, S, *shape]</c> when it differs per specification row (alpha-CROWN slopes); a null bias means zero.
/// </summary>
public readonly record struct Relaxation(Tensor LowerSlope, Tensor? LowerBias, Tensor UpperSlope, Tensor? UpperBias);

/// <summary>
/// A rule that bounds its node by one elementwise relaxation of its single input (<see cref="ElementwiseRule{TOp}"/>):
/// without alpha parameters its backward step is <see cref="Relax.Elementwise"/> with this relaxation, so a pass that
/// keeps coefficients in another layout (<see cref="ConvPatches"/>) can apply the same lines itself.
/// </summary>
public interface IElementwiseRelaxation
{
    /// <summary>CROWN's relaxation of <paramref name="node"/> on its input's bounds <paramref name="input"/> (<c>[B, *shape]</c> each).</summary>
    Relaxation CrownRelaxation(Node node, Interval input, RelaxationCache? cache);
}

/// <summary>Shared tensor helpers of the backward rules.</summary>
public static class Relax
{
    /// <summary>
    /// <c>Σ over sample dims of A·b</c> → <c>[B, S]</c>. <paramref name="a"/> is <c>[B, S, *shape]</c>;
    /// <paramref name="b"/> is <c>[B, 1, *shape]</c> (same for every row: one batched matrix product) or <c>[B, S, *shape]</c>.
    /// </summary>
    public static Tensor Dot(Tensor a, Tensor b)
    {
        long batch = a.shape[0], rows = a.shape[1];
        if (b.shape[1] == 1 && b.dim() == a.dim() && b.shape[0] == batch)
            return matmul(a.reshape(batch, rows, -1), b.reshape(batch, -1, 1)).squeeze(-1);
        return (a * b).reshape(batch, rows, -1).sum(-1);
    }

    /// <summary>
    /// Beta-CROWN's split constraints, for any branchable rule (<see cref="IBranchableRule"/>): a split neuron j with sign
    /// s_j and point p_j (<see cref="BackwardStep.SplitPoint"/>, 0 when absent, as for ReLU) satisfies
    /// <c>g_j = s_j·(x_j − p_j) ≥ 0</c> on every input of the sub-problem, x being the node's input. So for any
    /// beta_j ≥ 0, <c>f ≥ f − beta_j·g_j</c> and <c>f ≤ f + beta_j·g_j</c> there, and bounding the right-hand sides over
    /// the relaxed problem is sound for the split sub-problem; the multipliers let the constraint reach the input (clipping
    /// the neuron's bounds alone only fixes its own relaxation). The terms go to the input's coefficients
    /// (<c>∓beta·s</c>) and, for p ≠ 0, to the constants (<c>±Σ beta·s·p</c>). Beta is clamped at 0 here, so a caller's
    /// negative value can never make a bound unsound.
    /// </summary>
    public static BackwardResult AddSplitMultipliers(BackwardStep step, BackwardResult r)
    {
        if (step.SplitSign is not { } sign) return r;
        var s = sign.unsqueeze(1);                                                          // [B, 1, *shape]
        var sp = step.SplitPoint is { } p ? s * p.unsqueeze(1) : null;                      // [B, 1, *shape]: s·p
        if (step.BetaLowerPass is { } bl && r.LowerA[0] is { } la)
        {
            var beta = bl.clamp_min(0);
            r.LowerA[0] = la - beta * s;
            if (sp is not null) r.LowerBias = r.LowerBias is { } b ? b + Dot(beta, sp) : Dot(beta, sp);
        }
        if (step.BetaUpperPass is { } bu && r.UpperA[0] is { } ua)
        {
            var beta = bu.clamp_min(0);
            r.UpperA[0] = ua + beta * s;
            if (sp is not null) r.UpperBias = r.UpperBias is { } b ? b - Dot(beta, sp) : -Dot(beta, sp);
        }
        return r;
    }

    /// <summary>Adds a row axis to a per-sample tensor: <c>[B, *shape]</c> → <c>[B, 1, *shape]</c>; tensors already with rows stay.</summary>
    public static Tensor Rows(Tensor t, int sampleRank) => t.dim() == sampleRank + 2 ? t : t.unsqueeze(1);

    /// <summary>
    /// One backward step through an elementwise relaxation for both passes. In the lower pass positive coefficients take the
    /// lower line and negative ones the upper line; the upper pass the reverse. Slopes may be given per pass (alpha).
    /// </summary>
    public static BackwardResult Elementwise(BackwardStep step, Relaxation lowerPassRelax, Relaxation upperPassRelax)
    {
        var r = new BackwardResult(1);
        int rank = step.Node.Shape.Length;
        if (step.LowerA is { } la)
        {
            var (a, b) = Apply(la, rank, lowerPassRelax.LowerSlope, lowerPassRelax.LowerBias, lowerPassRelax.UpperSlope, lowerPassRelax.UpperBias);
            r.LowerA[0] = a; r.LowerBias = b;
        }
        if (step.UpperA is { } ua)
        {
            var (a, b) = Apply(ua, rank, upperPassRelax.UpperSlope, upperPassRelax.UpperBias, upperPassRelax.LowerSlope, upperPassRelax.LowerBias);
            r.UpperA[0] = a; r.UpperBias = b;
        }
        return r;
    }

    /// <summary>Coefficients ≥ 0 use (<paramref name="posSlope"/>, <paramref name="posBias"/>), the others the second line.</summary>
    static (Tensor A, Tensor? Bias) Apply(Tensor a, int rank, Tensor posSlope, Tensor? posBias, Tensor negSlope, Tensor? negBias)
    {
        // One select and one product instead of splitting A (fewer passes over the largest tensor).
        var positive = a.ge(0);
        var newA = a * where(positive, Rows(posSlope, rank), Rows(negSlope, rank));
        Tensor? bias = null;
        if (posBias is not null && negBias is not null) bias = Dot(a, where(positive, Rows(posBias, rank), Rows(negBias, rank)));
        else if (posBias is not null) bias = Dot(a.clamp_min(0), Rows(posBias, rank));
        else if (negBias is not null) bias = Dot(a.clamp_max(0), Rows(negBias, rank));
        return (newA, bias);
    }

    /// <summary><c>x</c> where <paramref name="cond"/>, else <c>y</c> (thin wrapper for readability).</summary>
    public static Tensor Where(Tensor cond, Tensor x, Tensor y) => where(cond, x, y);

    /// <summary>
    /// Forward-mode bounds through an elementwise relaxation (slopes and biases <c>[B, *shape]</c>): the lower line
    /// <c>k·x + b</c> is bounded below by <c>k⁺·L(x) + k⁻·U(x) + b</c>, the upper line above by <c>k⁺·U(x) + k⁻·L(x) + b</c>,
    /// where L and U are the input's linear bounds. Sound for any signs of the slopes.
    /// </summary>
    public static LinearBounds Forward(LinearBounds x, Relaxation r)
    {
        var lp = r.LowerSlope.clamp_min(0); var ln = r.LowerSlope.clamp_max(0);
        var up = r.UpperSlope.clamp_min(0); var un = r.UpperSlope.clamp_max(0);
        var lw = x.LowerW * lp.unsqueeze(-1) + x.UpperW * ln.unsqueeze(-1);
        var uw = x.UpperW * up.unsqueeze(-1) + x.LowerW * un.unsqueeze(-1);
        var lb = x.LowerB * lp + x.UpperB * ln;
        var ub = x.UpperB * up + x.LowerB * un;
        if (r.LowerBias is { } b1) lb = lb + b1;
        if (r.UpperBias is { } b2) ub = ub + b2;
        return new LinearBounds(lw, lb, uw, ub);
    }
}

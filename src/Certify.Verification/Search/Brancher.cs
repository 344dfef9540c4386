using Certify.Bounds;
using static TorchSharp.torch;

namespace Certify.Verification.Search;

/// <summary>
/// One split strategy of <see cref="BranchAndBound"/>: which fields a sub-problem carries, how a batch of them is
/// bounded, and how an unproven sub-problem is divided. Every sub-problem carries its input box "lo"/"hi" <c>[B, n]</c>,
/// its best row margins so far "best" <c>[B, S]</c> (a parent's bound holds on its children), its score "score" <c>[B]</c>
/// and its depth "depth" <c>[B]</c>.
/// </summary>
abstract class Brancher
{
    protected Brancher(BoundEngine engine) { Engine = engine; }

    protected BoundEngine Engine { get; }

    /// <summary>When set (UTC), alpha/beta optimisation inside <see cref="Bound"/> stops at this time (the search's time limit).</summary>
    public DateTime? OptimiseUntil { get; set; }

    public abstract SplitStrategy Strategy { get; }

    /// <summary>The root sub-problem of an input box (<c>[1, n]</c> each) with <paramref name="rows"/> rows.</summary>
    public virtual DomainBatch Root(Tensor lo, Tensor hi, int rows)
    {
        var b = new DomainBatch();
        b["lo"] = lo; b["hi"] = hi;
        b["best"] = full(1, rows, float.NegativeInfinity, dtype: ScalarType.Float32);
        b["score"] = full(1, float.NegativeInfinity, dtype: ScalarType.Float32);
        b["depth"] = zeros(1, dtype: ScalarType.Int32);
        return b;
    }

    /// <summary>
    /// Bounds the rows <paramref name="c"/> (<c>[S, m]</c>) on every sub-problem of <paramref name="batch"/> with
    /// <paramref name="engine"/> (the search engine, or the float64 one for re-checks, which must not reuse carried bounds).
    /// The result must hold the input coefficients (node 0) of the lower pass.
    /// </summary>
    public abstract BoundResult Bound(BoundEngine engine, DomainBatch batch, Tensor c, bool reuseCarried);

    /// <summary>
    /// Children of the unproven sub-problems <paramref name="open"/> (rows <paramref name="openIndex"/> of the batch that
    /// <paramref name="bounds"/> describes), guided by row <paramref name="targetRow"/> (<c>[b]</c>) of each.
    /// </summary>
    public abstract DomainBatch Branch(DomainBatch open, BoundResult bounds, Tensor openIndex, Tensor targetRow);

    /// <summary>
    /// Sub-problems shown empty by their bounds (<c>[B]</c> bool), which are therefore safe; null when the strategy cannot
    /// produce empty sub-problems.
    /// </summary>
    public virtual Tensor? Empty(BoundResult bounds) => null;

    /// <summary>Input coefficients of the target row, <c>[b, n]</c>.</summary>
    protected static Tensor TargetCoefficients(BoundResult bounds, Tensor openIndex, Tensor targetRow, long n)
    {
        var a = bounds.LowerCoefficients?.GetValueOrDefault(0);
        long b = openIndex.shape[0];
        if (a is null) return zeros(b, n);
        a = a.reshape(a.shape[0], a.shape[1], -1).index_select(0, openIndex);                    // [b, S, n]
        return a.gather(1, targetRow.view(b, 1, 1).expand(b, 1, n)).squeeze(1).to_type(ScalarType.Float32);
    }

    /// <summary>
    /// Per sub-problem, the input dimension with the largest |coefficient| × width of its target row's linear lower bound
    /// (<c>[b]</c>): the amount that dimension's uncertainty costs the bound (the widest dimension where all coefficients
    /// vanish). A dimension already at float resolution (its midpoint equals an end) is never chosen.
    /// </summary>
    protected static Tensor CoefficientDimension(Tensor lo, Tensor hi, Tensor coefficients)
    {
        var width = (hi - lo).to_type(ScalarType.Float32);                       // [b, n]
        var score = (coefficients.abs() * width).masked_fill(AtResolution(lo, hi), -1);
        var useWidth = score.amax(new long[] { 1 }, keepdim: true).le(0);
        return where(useWidth, width, score).argmax(1);                           // [b]
    }

    /// <summary>Dimensions that bisection cannot narrow any more: the midpoint equals an end in floating point (<c>[b, n]</c>).</summary>
    protected static Tensor AtResolution(Tensor lo, Tensor hi)
    {
        var mid = (lo + hi) / 2;
        return mid.eq(lo).logical_or(mid.eq(hi));
    }

    /// <summary>
    /// Bisects each sub-problem along <paramref name="dim"/> (<c>[b]</c>): children are laid out [lower halves; upper
    /// halves]; other fields are copied to both children; depth grows by one.
    /// </summary>
    protected static DomainBatch BisectAlong(DomainBatch open, Tensor dim)
    {
        var lo = open["lo"]; var hi = open["hi"];
        var d = dim.view(-1, 1);
        var mid = (lo.gather(1, d) + hi.gather(1, d)) / 2;
        var children = new DomainBatch();
        children["lo"] = cat(new[] { lo, lo.scatter(1, d, mid) });
        children["hi"] = cat(new[] { hi.scatter(1, d, mid), hi });
        foreach (var (name, t) in open.Fields)
        {
            if (name is "lo" or "hi") continue;
            children[name] = name == "depth" ? cat(new[] { t + 1, t + 1 }) : cat(new[] { t, t });
        }
        return children;
    }
}

/// <summary>
/// Input splitting: sub-problems differ only in their input boxes. Without <paramref name="lookaheadRows"/>, each is
/// bisected along the dimension with the largest |input coefficient| × width in its CROWN bound. That heuristic is blind
/// to a dimension that only loosens the relaxation of unstable ReLUs (its coefficient in the final linear bound can be
/// ~0 while splitting it is what closes the gap: ACAS Xu's X_2 on property 1) and then bisects the other dimensions to
/// float resolution without progress. With <paramref name="lookaheadRows"/> (small inputs), each is bisected instead
/// along the dimension whose halves score best under cheap forward-mode bounds (a look-ahead over every dimension), each
/// half's score floored at its parent's; where no split gains anything (forward mode far looser than CROWN on the box),
/// along the dimension widest relative to the root box.
/// </summary>
sealed class InputBrancher(BoundEngine engine, UnsafeRows? lookaheadRows = null, int lookaheadBatch = 4096) : Brancher(engine)
{
    static readonly int[] InputNode = { 0 };

    public override SplitStrategy Strategy => SplitStrategy.InputSplit;

    public override BoundResult Bound(BoundEngine engine, DomainBatch batch, Tensor c, bool reuseCarried) =>
        engine.Compute(batch["lo"], batch["hi"], c, new SubproblemInputs { NeedUpper = false, CoefficientNodes = InputNode, OptimiseUntil = OptimiseUntil });

    public override DomainBatch Branch(DomainBatch open, BoundResult bounds, Tensor openIndex, Tensor targetRow)
    {
        var lo = open["lo"]; var hi = open["hi"];
        var dim = lookaheadRows is { } rows ? ForwardDimension(lo, hi, rows) : null;
        dim ??= CoefficientDimension(lo, hi, TargetCoefficients(bounds, openIndex, targetRow, lo.shape[1]));
        return BisectAlong(open, dim);
    }

    /// <summary>
    /// Per sub-problem, the dimension whose halves score best under forward-mode bounds (<c>[b]</c>), or null when some
    /// node has no forward rule. Degenerate dimensions (at float resolution) are never chosen.
    /// </summary>
    Tensor? ForwardDimension(Tensor lo, Tensor hi, UnsafeRows rows)
    {
        long b = lo.shape[0], n = lo.shape[1];
        var mid = (lo + hi) / 2;
        var axis = eye(n, dtype: ScalarType.Bool, device: lo.device).unsqueeze(0);               // [1, n, n]: dimension j of candidate j
        var loN = lo.unsqueeze(1).expand(b, n, n);
        var hiN = hi.unsqueeze(1).expand(b, n, n);
        var midN = mid.unsqueeze(1).expand(b, n, n);
        // Candidate boxes [b, 2, n, n] flattened: per sub-problem, the lower halves (hi_j = mid_j) of every dimension j,
        // then the upper halves (lo_j = mid_j).
        // The parents themselves come last, to measure what a split gains.
        var candLo = cat(new[] { stack(new[] { loN, where(axis, midN, loN) }, 1).reshape(-1, n), lo });
        var candHi = cat(new[] { stack(new[] { where(axis, midN, hiN), hiN }, 1).reshape(-1, n), hi });
        var lowers = new List<Tensor>();
        for (long start = 0; start < candLo.shape[0]; start += lookaheadBatch)
        {
            long k = Math.Min(lookaheadBatch, candLo.shape[0] - start);
            if (Engine.ForwardLowerBounds(candLo.narrow(0, start, k), candHi.narrow(0, start, k), rows.C) is not { } l) return null;
            lowers.Add(l.to_type(ScalarType.Float32));
        }
        var margin = cat(lowers.ToArray()) - rows.Rhs.to_type(ScalarType.Float32).unsqueeze(0);    // [2nb + b, S]
        var all = rows.Target(margin).Score.clamp(-1e30, 1e30);                                    // a proven box scores +1e30
        var parent = all.narrow(0, 2 * n * b, b).unsqueeze(1);                                     // [b, 1]
        // A parent's bound holds on its halves: a half scoring below it only shows forward mode's looseness there.
        var score = maximum(all.narrow(0, 0, 2 * n * b).view(b, 2, n), parent.unsqueeze(1));      // [b, 2, n]
        var degenerate = AtResolution(lo, hi);
        var dim = SplitScore(score.select(1, 0), score.select(1, 1)).masked_fill(degenerate, float.NegativeInfinity).argmax(1);
        // Where no split improves the worse half, forward mode is too loose on this box to tell the dimensions apart (ACAS
        // Xu prop_2: about -119 against CROWN's -0.13), and its argmax is noise that kept bisecting three dimensions to
        // 1e-6 while two stayed at a quarter of their range. There, bisect the widest dimension relative to the root box.
        var worseHalf = minimum(score.select(1, 0), score.select(1, 1)).masked_fill(degenerate, float.NegativeInfinity);  // [b, n]
        var gain = worseHalf.amax(new long[] { 1 }) - parent.squeeze(1);                                                  // [b]
        var blind = gain.le(1e-3 * (1 + parent.squeeze(1).abs()));
        return where(blind, RelativeWidestDimension(lo, hi), dim);
    }

    /// <summary>
    /// Per sub-problem, the dimension widest relative to the root box's width in it (<c>[b]</c>); never one at float
    /// resolution or one the root fixes.
    /// </summary>
    Tensor RelativeWidestDimension(Tensor lo, Tensor hi)
    {
        var rootWidth = tensor(_rootWidth!, dtype: ScalarType.Float32, device: lo.device).unsqueeze(0);   // [1, n]
        var relative = ((hi - lo).to_type(ScalarType.Float32) / rootWidth.clamp_min(1e-30)).masked_fill(rootWidth.le(0).expand_as(lo), -1);
        return relative.masked_fill(AtResolution(lo, hi), -1).argmax(1);
    }

    // Kept as managed numbers: a tensor detached from every scope would be freed by the GC's finalizer thread.
    float[]? _rootWidth;

    public override DomainBatch Root(Tensor lo, Tensor hi, int rows)
    {
        _rootWidth = (hi - lo).reshape(-1).to_type(ScalarType.Float32).data<float>().ToArray();
        return base.Root(lo, hi, rows);
    }

    /// <summary>A bisection's score from its halves' scores: the worse half, ties broken by the better half.</summary>
    static Tensor SplitScore(Tensor a, Tensor b) => minimum(a, b) + 1e-3 * maximum(a, b).clamp(-1e3, 1e3);
}

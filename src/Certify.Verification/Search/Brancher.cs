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
    /// Bisects each sub-problem along the input dimension with the largest |coefficient| × width of its target row's
    /// linear lower bound: the amount that dimension's uncertainty costs the bound (the widest dimension where all
    /// coefficients vanish). Other fields are copied to both children; depth grows by one.
    /// </summary>
    protected static DomainBatch BisectInputs(DomainBatch open, Tensor coefficients)
    {
        var lo = open["lo"]; var hi = open["hi"];
        var width = (hi - lo).to_type(ScalarType.Float32);                       // [b, n]
        var score = coefficients.abs() * width;
        var useWidth = score.amax(new long[] { 1 }, keepdim: true).le(0);
        var dim = where(useWidth, width, score).argmax(1, keepdim: true);         // [b, 1]
        var mid = (lo.gather(1, dim) + hi.gather(1, dim)) / 2;
        var children = new DomainBatch();
        children["lo"] = cat(new[] { lo, lo.scatter(1, dim, mid) });
        children["hi"] = cat(new[] { hi.scatter(1, dim, mid), hi });
        foreach (var (name, t) in open.Fields)
        {
            if (name is "lo" or "hi") continue;
            children[name] = name == "depth" ? cat(new[] { t + 1, t + 1 }) : cat(new[] { t, t });
        }
        return children;
    }
}

/// <summary>
/// Input splitting: sub-problems differ only in their input boxes. With <paramref name="lookaheadRows"/> (small inputs),
/// each sub-problem is bisected along the dimension whose two halves have the best bounds, found by bounding the halves
/// of every dimension: the coefficient heuristic of <see cref="Brancher.BisectInputs"/> is blind to a dimension that
/// only loosens the relaxation of unstable ReLUs (its coefficient in the final linear bound can be zero while splitting it
/// is what closes the gap), and then bisects the other dimensions down to float32 resolution without progress.
/// </summary>
sealed class InputBrancher(BoundEngine engine, UnsafeRows? lookaheadRows = null, int lookaheadBatch = 4096) : Brancher(engine)
{
    static readonly int[] InputNode = { 0 };

    public override SplitStrategy Strategy => SplitStrategy.InputSplit;

    public override BoundResult Bound(BoundEngine engine, DomainBatch batch, Tensor c, bool reuseCarried) =>
        engine.Compute(batch["lo"], batch["hi"], c, new SubproblemInputs { NeedUpper = false, CoefficientNodes = InputNode, OptimiseUntil = OptimiseUntil });

    public override DomainBatch Branch(DomainBatch open, BoundResult bounds, Tensor openIndex, Tensor targetRow) =>
        lookaheadRows is { } rows
            ? BisectByLookahead(open, rows)
            : BisectInputs(open, TargetCoefficients(bounds, openIndex, targetRow, open["lo"].shape[1]));

    /// <summary>
    /// Scores both halves of every dimension of every sub-problem (<c>2·n·b</c> boxes) and keeps, per sub-problem, the
    /// bisection whose worse half has the best score (the smallest disjunct margin; ties broken by the better half).
    /// Halves are scored first by cheap forward-mode bounds (<see cref="BoundEngine.ForwardLowerBounds"/>); a sub-problem
    /// where no bisection improves the forward-mode bound of the unsplit box (forward mode too loose there to tell the
    /// dimensions apart) has its halves bounded by CROWN instead. A dimension already at float resolution is never chosen.
    /// </summary>
    DomainBatch BisectByLookahead(DomainBatch open, UnsafeRows rows)
    {
        var lo = open["lo"]; var hi = open["hi"];
        long b = lo.shape[0], n = lo.shape[1];
        var mid = (lo + hi) / 2;
        var axis = eye(n, dtype: ScalarType.Bool, device: lo.device).unsqueeze(0);               // [1, n, n]: dimension j of candidate j
        var loN = lo.unsqueeze(1).expand(b, n, n);
        var hiN = hi.unsqueeze(1).expand(b, n, n);
        var midN = mid.unsqueeze(1).expand(b, n, n);
        // Candidate boxes [b, 2, n, n] flattened: per sub-problem, the lower halves (hi_j = mid_j) of every dimension j,
        // then the upper halves (lo_j = mid_j).
        var candLo = stack(new[] { loN, where(axis, midN, loN) }, 1).reshape(-1, n);
        var candHi = stack(new[] { where(axis, midN, hiN), hiN }, 1).reshape(-1, n);
        var rhs = rows.Rhs.to_type(ScalarType.Float32).unsqueeze(0);
        var margin = LookaheadLowers(candLo, candHi, rows, forward: true) - rhs;                   // [2nb, S]
        var score = ScoreHalves(margin, rows, b, n);                                               // [b, 2, n]
        var (_, parentScore) = rows.Target(LookaheadLowers(lo, hi, rows, forward: true) - rhs);     // [b]: the unsplit box, same mode
        var blind = score.amin(1).amax(1).le(parentScore).nonzero().squeeze(1);                    // no split helps forward mode
        if (blind.shape[0] > 0)
        {
            var rowsOf = (blind.unsqueeze(1) * (2 * n) + arange(2 * n, dtype: ScalarType.Int64, device: lo.device).unsqueeze(0)).reshape(-1);
            var crown = LookaheadLowers(candLo.index_select(0, rowsOf), candHi.index_select(0, rowsOf), rows, forward: false) - rhs;
            margin = margin.index_put_(crown, rowsOf);
            score = ScoreHalves(margin, rows, b, n);
        }
        var degenerate = (mid.eq(lo).logical_or(mid.eq(hi))).unsqueeze(1).expand(b, 2, n);       // [b, 2, n]
        score = score.masked_fill(degenerate, float.NegativeInfinity);
        var worse = score.amin(new long[] { 1 });                                                  // [b, n]
        var better = score.amax(new long[] { 1 });
        var pick = (worse + 1e-3 * better.clamp(-1e3, 1e3));
        // Where every dimension is degenerate or scores -inf, fall back to the widest dimension.
        var width = (hi - lo).to_type(ScalarType.Float32);
        pick = where(pick.isfinite().any(1, keepdim: true), pick.nan_to_num(float.NegativeInfinity), width);
        var dim = pick.argmax(1);                                                                  // [b]
        var parentBest = open["best"].repeat_interleave(2 * n, 0);                                 // [2nb, S]
        var best = maximum(parentBest, margin);
        var first = arange(b, dtype: ScalarType.Int64, device: lo.device) * (2 * n) + dim;       // (domain, lower half, dim)
        var index = cat(new[] { first, first + n });                                               // [2b]: lower halves, then upper halves
        var children = new DomainBatch();
        children["lo"] = candLo.index_select(0, index);
        children["hi"] = candHi.index_select(0, index);
        children["best"] = best.index_select(0, index);
        foreach (var (name, t) in open.Fields)
        {
            if (name is "lo" or "hi" or "best") continue;
            children[name] = name == "depth" ? cat(new[] { t + 1, t + 1 }) : cat(new[] { t, t });
        }
        return children;
    }

    /// <summary>Per candidate half, its score (the smallest disjunct margin; +1e30 once proven): <c>[2nb, S] → [b, 2, n]</c>.</summary>
    static Tensor ScoreHalves(Tensor margin, UnsafeRows rows, long b, long n)
    {
        var (_, score) = rows.Target(margin);
        return score.view(b, 2, n).clamp(-1e30, 1e30);
    }

    /// <summary>Lower bounds of the rows on the boxes, in chunks: forward mode (when every node has a rule) or CROWN.</summary>
    Tensor LookaheadLowers(Tensor lo, Tensor hi, UnsafeRows rows, bool forward)
    {
        var lowers = new List<Tensor>();
        long total = lo.shape[0];
        for (long start = 0; start < total; start += lookaheadBatch)
        {
            long k = Math.Min(lookaheadBatch, total - start);
            var l = forward ? Engine.ForwardLowerBounds(lo.narrow(0, start, k), hi.narrow(0, start, k), rows.C) : null;
            if (l is null)
            {
                using var r = Engine.Compute(lo.narrow(0, start, k), hi.narrow(0, start, k), rows.C,
                    new SubproblemInputs { NeedUpper = false, OptimiseUntil = OptimiseUntil });
                l = r.Lower.detach().clone();
            }
            lowers.Add(l.to_type(ScalarType.Float32));
        }
        return lowers.Count == 1 ? lowers[0] : cat(lowers.ToArray());
    }
}

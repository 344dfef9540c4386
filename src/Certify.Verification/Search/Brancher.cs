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

    /// <summary>The search's deadline: optional tightening inside <see cref="Bound"/> (alpha/beta iterations, CROWN refinement chunks) stops when it passes.</summary>
    public Deadline OptimiseUntil { get; set; }

    /// <summary>
    /// The rows' proof targets of the current search (<see cref="SubproblemInputs.StopWhenProved"/>): handed to the engine
    /// in <see cref="Bound"/> so that alpha-/beta-CROWN stops once every row is proven; null hands none.
    /// </summary>
    public ProofTargets? StopWhenProved { get; set; }

    public abstract SplitStrategy Strategy { get; }

    /// <summary>
    /// Told that the search took a batch's bounds from elsewhere (a root bounded by an earlier run, see
    /// <see cref="RootBounds"/>) instead of calling <see cref="Bound"/> with the rows <paramref name="c"/>: a brancher that
    /// remembers the rows of its last batch for branching records them here.
    /// </summary>
    public virtual void Adopted(Tensor c) { }

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
    /// Per sub-problem, the input dimension with the largest score |coefficient| × width, the coefficients taken from the
    /// target row's linear lower bound (<c>[b, n]</c>), each |coefficient| first raised to at least
    /// <paramref name="floor"/> × the largest of its sub-problem (0: the pure coefficient rule; 1: the widest dimension).
    /// A dimension already at float resolution (its midpoint equals an end) is never chosen.
    /// </summary>
    protected static Tensor CoefficientDimension(Tensor lo, Tensor hi, Tensor coefficients, double floor)
    {
        var width = (hi - lo).to_type(ScalarType.Float32);                       // [b, n]
        var degenerate = AtResolution(lo, hi);
        var a = coefficients.abs();
        a = maximum(a, a.amax(new long[] { 1 }, keepdim: true) * floor);
        var score = (a * width).masked_fill(degenerate, -1);
        var useWidth = score.amax(new long[] { 1 }, keepdim: true).le(0);       // every coefficient zero: the widest
        return where(useWidth, width.masked_fill(degenerate, -1), score).argmax(1);   // [b]
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
/// Input splitting: sub-problems differ only in their input boxes. Each is bisected along the dimension with the largest
/// |input coefficient| × width in its bound (the amount that dimension's uncertainty costs the linear lower bound), with
/// every |coefficient| raised to at least <paramref name="coefficientFloor"/> × the largest. The floor keeps in play a
/// dimension whose coefficient in the final bound is ~0 but whose width loosens the relaxation of unstable ReLUs (ACAS
/// Xu's X_2 on property 1: the pure coefficient rule bisected the other four dimensions to float resolution and never
/// split X_2; see <see cref="BabOptions.InputSplitCoefficientFloor"/>).
/// </summary>
/// <para>
/// <paramref name="coefficientNodes"/>: the nodes whose lower-pass coefficients the bounds carry (null: the input only,
/// which is all bisection needs; a root kept for a neuron-split search asks for the branchable nodes' too).
/// </para>
sealed class InputBrancher(BoundEngine engine, double coefficientFloor, int[]? coefficientNodes = null) : Brancher(engine)
{
    static readonly int[] InputNode = { 0 };
    readonly int[] _coefficientNodes = coefficientNodes ?? InputNode;

    public override SplitStrategy Strategy => SplitStrategy.InputSplit;

    public override BoundResult Bound(BoundEngine engine, DomainBatch batch, Tensor c, bool reuseCarried) =>
        engine.Compute(batch["lo"], batch["hi"], c, new SubproblemInputs
        {
            NeedUpper = false, CoefficientNodes = _coefficientNodes, OptimiseUntil = OptimiseUntil, StopWhenProved = StopWhenProved,
        });

    public override DomainBatch Branch(DomainBatch open, BoundResult bounds, Tensor openIndex, Tensor targetRow)
    {
        var lo = open["lo"]; var hi = open["hi"];
        var coefficients = TargetCoefficients(bounds, openIndex, targetRow, lo.shape[1]);
        return BisectAlong(open, CoefficientDimension(lo, hi, coefficients, coefficientFloor));
    }
}

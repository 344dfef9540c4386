using Certify.Spec;

namespace Certify.Verification;

/// <summary>
/// The only way to a <see cref="VerdictKind.Sat"/> verdict. A candidate input (from an attack or a solver) is accepted
/// when it lies in some region's box within <see cref="BoxTolerance"/> and, after clipping it exactly into that box,
/// the reference model's output (ONNX Runtime on the original file, in its own float precision) satisfies one of the
/// region's unsafe disjuncts. A candidate that violates the property only in Certify's float64 arithmetic, or only by
/// a solver tolerance, fails here and never becomes sat.
/// <para>Non-finite outputs follow IEEE 754 comparison semantics, deliberately: the reference model's output is what the
/// network computes, so <c>Y_0 = +∞</c> satisfies <c>Y_0 ≥ 1.5</c> (a genuine violation), while a NaN satisfies no
/// comparison, so a row whose value is NaN never holds. A row reads only the outputs it has a non-zero coefficient for
/// (<c>0·∞</c> would otherwise turn an output the property does not mention into NaN). With finite parameters (the
/// importers refuse others) an infinite output comes from overflow in the reference model's own precision.</para>
/// </summary>
public sealed class CounterexampleChecker
{
    readonly IReferenceModel _model;
    readonly Specification _spec;

    /// <summary>Creates a checker for <paramref name="spec"/> on <paramref name="model"/>.</summary>
    /// <param name="model">The reference model (ONNX Runtime on the original file).</param>
    /// <param name="spec">The specification whose regions and unsafe conditions a counterexample must meet.</param>
    /// <param name="boxTolerance">How far outside a box a candidate may be before clipping (absolute, per input).</param>
    /// <param name="outputTolerance">Slack allowed on the unsafe rows at the reference output; 0 (strict) by default.</param>
    public CounterexampleChecker(IReferenceModel model, Specification spec, double boxTolerance = 1e-6, double outputTolerance = 0)
    {
        if (boxTolerance < 0 || outputTolerance < 0) throw new ArgumentException("tolerances must be non-negative");
        _model = model;
        _spec = spec;
        BoxTolerance = boxTolerance;
        OutputTolerance = outputTolerance;
    }

    /// <summary>Largest excursion outside a box that is clipped rather than rejected.</summary>
    public double BoxTolerance { get; }

    /// <summary>Slack on <c>C·y ≤ D</c> at the reference output (0 = strict).</summary>
    public double OutputTolerance { get; }

    /// <summary>The specification being checked.</summary>
    public Specification Specification => _spec;

    /// <summary>Outcome of <see cref="Check"/>.</summary>
    /// <param name="Verdict">A sat verdict when the candidate reproduced, otherwise null.</param>
    /// <param name="BestMargin">Smallest <c>max_rows(C·y − D)</c> seen over the regions holding the candidate (+∞ if none did).</param>
    /// <param name="Detail">Why it was accepted or rejected.</param>
    public sealed record CheckResult(Verdict? Verdict, double BestMargin, string Detail)
    {
        public bool Confirmed => Verdict is not null;
    }

    /// <summary>Re-runs <paramref name="candidate"/> and returns a sat verdict if it is a real counterexample, else null.</summary>
    public Verdict? Confirm(double[] candidate) => Check(candidate).Verdict;

    /// <summary>Checks <paramref name="candidate"/> against every region and explains the outcome.</summary>
    public CheckResult Check(double[] candidate)
    {
        if (candidate.Length != _spec.InputSize)
            return new CheckResult(null, double.PositiveInfinity, $"candidate has {candidate.Length} inputs, the specification {_spec.InputSize}");
        if (candidate.Any(v => !double.IsFinite(v)))
            return new CheckResult(null, double.PositiveInfinity, "candidate has a non-finite input");
        double best = double.PositiveInfinity;
        int inBoxes = 0;
        for (int r = 0; r < _spec.Regions.Count; r++)
        {
            var region = _spec.Regions[r];
            if (!region.Contains(candidate, BoxTolerance)) continue;
            inBoxes++;
            var x = Clip(candidate, region);
            var y = _model.Run(x);
            if (y.Length != _spec.OutputSize)
                return new CheckResult(null, best, $"{_model.Description} returned {y.Length} outputs, the specification has {_spec.OutputSize}");
            for (int k = 0; k < region.Unsafe.Disjuncts.Count; k++)
            {
                double margin = Margin(region.Unsafe.Disjuncts[k], y);
                best = Math.Min(best, margin);
                if (margin <= OutputTolerance)
                    return new CheckResult(Verdict.Sat(new Counterexample(x, y, r, k, margin, _model.Description)), margin,
                        $"reproduced on {_model.Description}: region {r}, disjunct {k}, margin {margin:G6}");
            }
        }
        return inBoxes == 0
            ? new CheckResult(null, best, $"candidate lies outside every input box by more than {BoxTolerance:G3}")
            : new CheckResult(null, best, $"not reproduced on {_model.Description}: best margin {best:G6} > {OutputTolerance:G3}");
    }

    /// <summary>
    /// <c>max over rows of (C·y − D)</c>: ≤ 0 exactly when y satisfies the conjunction. IEEE semantics for non-finite
    /// outputs (see the class summary): terms with a zero coefficient are skipped, an infinite value compares as
    /// infinite, and a row whose value is NaN (a NaN output, or +∞ − ∞) counts as failing (+∞), never as holding.
    /// </summary>
    public static double Margin(Conjunction conj, ReadOnlySpan<double> y)
    {
        double m = double.NegativeInfinity;
        foreach (var row in conj.Rows)
        {
            double s = 0;
            for (int i = 0; i < row.C.Length; i++)
                if (row.C[i] != 0) s += row.C[i] * y[i];
            double r = s - row.D;
            m = Math.Max(m, double.IsNaN(r) ? double.PositiveInfinity : r);
        }
        return m;
    }

    /// <summary>The candidate moved into the box (exactly inside).</summary>
    static double[] Clip(double[] x, InputRegion region)
    {
        var c = new double[x.Length];
        for (int i = 0; i < x.Length; i++) c[i] = Math.Clamp(x[i], region.Lower[i], region.Upper[i]);
        return c;
    }
}

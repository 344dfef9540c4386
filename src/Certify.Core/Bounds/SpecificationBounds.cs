using System.Diagnostics;
using Certify.Spec;
using static TorchSharp.torch;

namespace Certify.Bounds;

/// <summary>Bounds of one specification row <c>c·y</c> (its unsafe region is <c>c·y ≤ d</c>).</summary>
/// <param name="Region">Index of the input region (VNNLIB top-level disjunct over inputs).</param>
/// <param name="Clause">Index of the output disjunct within the region.</param>
/// <param name="C">Coefficients over the outputs.</param>
/// <param name="D">Right-hand side.</param>
/// <param name="Lower">Lower bound of <c>c·y</c> over the region's box.</param>
/// <param name="Upper">Upper bound of <c>c·y</c>.</param>
public sealed record RowBound(int Region, int Clause, double[] C, double D, double Lower, double Upper)
{
    /// <summary>True when the row's unsafe half-space is unreachable: <c>c·y &gt; d</c> everywhere in the box.</summary>
    public bool Refuted => Lower > D;
}

/// <summary>Bounds of a whole specification: every row, the outputs (hull over regions) and the time taken.</summary>
public sealed record SpecificationBoundReport(BoundMethod Method, double Seconds, double[] OutputLower, double[] OutputUpper,
    IReadOnlyList<RowBound> Rows, IReadOnlyList<string> IbpFallbacks);

/// <summary>Runs a <see cref="BoundEngine"/> on every region of a <see cref="Specification"/>.</summary>
public static class SpecificationBounds
{
    /// <summary>
    /// For each region, one engine call bounding the outputs and the region's rows together (C = identity stacked over
    /// the rows). Rows come in VNNLIB order; output bounds are the hull over regions. The time covers the engine calls.
    /// </summary>
    public static SpecificationBoundReport Compute(BoundEngine engine, Specification spec)
    {
        int m = (int)engine.Graph.OutputSize;
        if (spec.OutputSize != m)
            throw new ArgumentException($"{spec.Source ?? "the specification"} has {spec.OutputSize} outputs but the network has {m}");
        if (spec.InputSize != engine.Graph.InputSize)
            throw new ArgumentException($"{spec.Source ?? "the specification"} has {spec.InputSize} inputs but the network has {engine.Graph.InputSize}");
        var outL = Enumerable.Repeat(double.PositiveInfinity, m).ToArray();
        var outU = Enumerable.Repeat(double.NegativeInfinity, m).ToArray();
        var rows = new List<RowBound>();
        IReadOnlyList<string> fallbacks = Array.Empty<string>();
        var watch = new Stopwatch();
        for (int r = 0; r < spec.Regions.Count; r++)
        {
            using var scope = NewDisposeScope();
            var region = spec.Regions[r];
            var (c, list) = SpecificationMatrix.FromRegion(region, m);
            var stacked = cat(new[] { eye(m, dtype: ScalarType.Float64), c }, 0).unsqueeze(0);   // [1, m + S, m]
            var lo = tensor(region.Lower, dtype: ScalarType.Float64).unsqueeze(0);
            var hi = tensor(region.Upper, dtype: ScalarType.Float64).unsqueeze(0);
            watch.Start();
            using var result = engine.Compute(lo, hi, stacked);
            var lower = result.Lower[0].to_type(ScalarType.Float64).data<double>().ToArray();
            var upper = result.Upper[0].to_type(ScalarType.Float64).data<double>().ToArray();
            watch.Stop();
            fallbacks = result.IbpFallbacks;
            for (int i = 0; i < m; i++) { outL[i] = Math.Min(outL[i], lower[i]); outU[i] = Math.Max(outU[i], upper[i]); }
            for (int s = 0; s < list.Count; s++)
                rows.Add(new RowBound(r, list[s].Clause, list[s].Row.C, list[s].Row.D, lower[m + s], upper[m + s]));
        }
        return new SpecificationBoundReport(engine.Options.Method, watch.Elapsed.TotalSeconds, outL, outU, rows, fallbacks);
    }
}

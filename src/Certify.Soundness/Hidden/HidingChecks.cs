using Certify.Graph;
using Certify.Import.Onnx.Proto;
using Certify.Spec;
using TorchSharp;
using static TorchSharp.torch;

namespace Certify.Soundness.Hidden;

/// <summary>The attack ensemble every box must survive before it is written (all budgets are work, not time).</summary>
/// <param name="PgdRestarts">Restarts of Certify's PGD per step size (≥ 1,000 for the benchmark).</param>
/// <param name="PgdSteps">Steps per restart.</param>
/// <param name="StepSizes">Initial step sizes of the PGD runs, as fractions of each input's box width (each a separate run).</param>
/// <param name="UniformSamples">Uniform random points of the box.</param>
/// <param name="CornerSamples">Random corners of the box (all 2ⁿ corners when that is fewer).</param>
/// <param name="OrtViolation">The planted point's objective in ONNX Runtime must be at most −this.</param>
public sealed record HidingBudget(int PgdRestarts = 1000, int PgdSteps = 50, double[]? StepSizes = null, int UniformSamples = 10000,
    int CornerSamples = 4096, double OrtViolation = 1e-3)
{
    /// <summary>Step sizes used (default 0.5, 0.1 and 0.02 of the box width).</summary>
    public double[] Steps => StepSizes ?? [0.5, 0.1, 0.02];

    /// <summary>One line for the README and the manifest.</summary>
    public override string ToString() =>
        $"PGD {PgdRestarts} restarts x {PgdSteps} steps at step sizes {string.Join("/", Steps)}; {UniformSamples} uniform; {CornerSamples} corners; weights probe";
}

/// <summary>What each hiding check measured on one box: the smallest objective it reached (≤ 0: it found a counterexample).</summary>
/// <param name="OrtObjective">The planted point's objective in ONNX Runtime (NaN for a control).</param>
/// <param name="Pgd">Best objective of each PGD run, in <see cref="HidingBudget.Steps"/> order.</param>
/// <param name="Uniform">Best objective over the uniform samples.</param>
/// <param name="Corners">Best objective over the corners.</param>
/// <param name="Probe">Best objective over the weights probe's candidates.</param>
/// <param name="ProbeCandidates">How many candidates the probe tried.</param>
/// <param name="ProbeNearest">Smallest L∞ distance of any probe candidate to the planted point, as a fraction of the box half-width (NaN for a control).</param>
public sealed record HidingOutcome(double OrtObjective, double[] Pgd, double Uniform, double Corners, double Probe, int ProbeCandidates, double ProbeNearest)
{
    /// <summary>The first check that failed (<c>ort</c>, <c>pgd</c>, <c>uniform</c>, <c>corner</c>, <c>probe</c>), or null when all passed.</summary>
    public string? Failed(double ortViolation, bool planted) =>
        planted && !(OrtObjective <= -ortViolation) ? "ort"
        : Pgd.Any(p => !(p > 0)) ? "pgd"
        : !(Uniform > 0) ? "uniform"
        : !(Corners > 0) ? "corner"
        : !(Probe > 0) ? "probe"
        : null;
}

/// <summary>
/// The checks a generated box must pass (issue 16): (1) <b>ort</b>: the planted point, run through the exported ONNX file
/// in ONNX Runtime, violates the property by at least <see cref="HidingBudget.OrtViolation"/>; (2) <b>pgd</b>: Certify's
/// own <see cref="Verification.Attack.PgdAttack"/> (through <see cref="BudgetedAttack"/>) with many restarts at each of
/// several step sizes finds nothing; (3) <b>uniform</b> and (4) <b>corner</b> sampling find nothing; (5) <b>probe</b>, the
/// "read the weights" probe: every vector stored in the ONNX file (each initializer's rows and the whole flattened
/// initializer in chunks, tiled or cut to the input size) is mapped into the box three ways (clipped; the centre plus the
/// half-width times the vector scaled to unit max-norm; the centre plus the half-width times its sign), each also
/// negated, and evaluated: a network that stored the point (like grade one's bump bias) fails it.
/// </summary>
public static class HidingChecks
{
    /// <summary>Runs every check on <paramref name="region"/> of <paramref name="graph"/> (exported to <paramref name="onnxPath"/>).</summary>
    public static HidingOutcome Run(ComputationGraph graph, string onnxPath, InputRegion region, int label, double[]? planted, HidingBudget budget, long seed)
    {
        double ort = double.NaN;
        if (planted is not null)
        {
            using var model = new Runtime.OnnxRuntimeModel(onnxPath);
            var y = model.Run(planted);
            ort = label == 0 ? y[0] - y[1] : y[1] - y[0];
        }
        var pgd = budget.Steps.Select((s, k) =>
            BudgetedAttack.Run(graph, region, new AttackBudget(budget.PgdRestarts, budget.PgdSteps, RandomSamples: 0, InitialStep: s), seed + 17 * k).BestObjective).ToArray();
        var rng = new Random((int)(seed & int.MaxValue));
        int n = region.Lower.Length;
        var uniform = Enumerable.Range(0, budget.UniformSamples).Select(_ => Enumerable.Range(0, n).Select(i => region.Lower[i] + rng.NextDouble() * (region.Upper[i] - region.Lower[i])).ToArray());
        double uni = Best(graph, uniform, label);
        double corners = Best(graph, Corners(region, budget.CornerSamples, rng), label);
        var candidates = ProbeCandidates(onnxPath, region).ToList();
        double probe = Best(graph, candidates, label);
        double nearest = planted is null ? double.NaN : candidates.Count == 0 ? double.PositiveInfinity
            : candidates.Min(c => c.Select((v, i) => Math.Abs(v - planted[i])).Max()) / ((region.Upper[0] - region.Lower[0]) / 2);
        return new HidingOutcome(ort, pgd, uni, corners, probe, candidates.Count, nearest);
    }

    static IEnumerable<double[]> Corners(InputRegion r, int max, Random rng)
    {
        int n = r.Lower.Length;
        if (n < 30 && (1L << n) <= max)
        {
            for (long m = 0; m < (1L << n); m++) yield return Enumerable.Range(0, n).Select(i => ((m >> i) & 1) == 0 ? r.Lower[i] : r.Upper[i]).ToArray();
            yield break;
        }
        for (int k = 0; k < max; k++) yield return Enumerable.Range(0, n).Select(i => rng.Next(2) == 0 ? r.Lower[i] : r.Upper[i]).ToArray();
    }

    /// <summary>The probe's candidate points for <paramref name="region"/>, read from the ONNX file's float initializers.</summary>
    public static IEnumerable<double[]> ProbeCandidates(string onnxPath, InputRegion region)
    {
        int n = region.Lower.Length;
        var centre = region.Lower.Zip(region.Upper, (a, b) => (a + b) / 2).ToArray();
        var half = region.Lower.Zip(region.Upper, (a, b) => (b - a) / 2).ToArray();
        foreach (var v in StoredVectors(onnxPath, n))
        {
            double max = v.Max(Math.Abs);
            foreach (int s in new[] { 1, -1 })
            {
                yield return v.Select((x, i) => Math.Clamp(s * x, region.Lower[i], region.Upper[i])).ToArray();
                if (max > 0) yield return v.Select((x, i) => centre[i] + half[i] * s * x / max).ToArray();
                yield return v.Select((x, i) => centre[i] + half[i] * s * Math.Sign(x)).ToArray();
            }
        }
    }

    /// <summary>Every stored vector, made <paramref name="n"/> long: each row (last axis) of every float initializer and the flattened initializer in chunks of n, tiled when shorter.</summary>
    static IEnumerable<double[]> StoredVectors(string onnxPath, int n)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnxPath));
        foreach (var init in model.Graph.Initializer)
        {
            if (init.DataType != (int)TensorProto.Types.DataType.Float) continue;
            float[] values = init.RawData.Length > 0
                ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(init.RawData.Span).ToArray()
                : init.FloatData.ToArray();
            if (values.Length == 0) continue;
            int row = init.Dims.Count > 0 ? (int)Math.Max(1, init.Dims[^1]) : values.Length;
            var seen = new HashSet<string>();
            foreach (var (start, len) in Chunks(values.Length, row).Concat(Chunks(values.Length, n)))
            {
                if (!seen.Add($"{start},{len}")) continue;
                yield return Enumerable.Range(0, n).Select(i => (double)values[start + i % len]).ToArray();
            }
        }
    }

    static IEnumerable<(int Start, int Length)> Chunks(int total, int size)
    {
        size = Math.Min(size, total);
        for (int s = 0; s + size <= total; s += size) yield return (s, size);
        if (total % size != 0) yield return (total - size, size);
    }

    /// <summary>The smallest objective of "class <paramref name="label"/> wins" over <paramref name="points"/> (float32 graph, batches of 512).</summary>
    static double Best(ComputationGraph graph, IEnumerable<double[]> points, int label)
    {
        double best = double.PositiveInfinity;
        foreach (var batch in points.Chunk(512))
        {
            using var scope = NewDisposeScope();
            var x = tensor(batch.SelectMany(p => p).Select(v => (float)v).ToArray(), new long[] { batch.Length }.Concat(graph.InputShape).ToArray());
            using var _ = no_grad();
            var y = graph.Forward(x).reshape(batch.Length, 2);
            var obj = label == 0 ? y.select(1, 0) - y.select(1, 1) : y.select(1, 1) - y.select(1, 0);
            best = Math.Min(best, obj.min().ToDouble());
        }
        return best;
    }
}

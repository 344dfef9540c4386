using System.Diagnostics;
using Certify.Bounds;
using Certify.Graph;
using Certify.Spec;
using static TorchSharp.torch;

namespace Certify.Soundness;

/// <summary>
/// Deliberate defects that make <see cref="InputSplitProver"/> unsound, so that the soundness harness can be shown to
/// catch an unsound verifier. Never use them for anything but that self-check.
/// </summary>
public enum ProverWeakening
{
    /// <summary>The sound prover.</summary>
    None,
    /// <summary>
    /// Skips the intermediate bounds: every hidden node gets the single value it takes at the box centre as its "bounds",
    /// so every relaxation is the linearisation at the centre instead of an enclosure over the box.
    /// </summary>
    SkipIntermediateBounds,
    /// <summary>Drops a split branch: after splitting a box, only the lower half is kept, the upper half is never examined.</summary>
    DropSplitBranch,
}

/// <summary>Settings of <see cref="InputSplitProver"/>.</summary>
/// <param name="Method">Bound method per box (CROWN by default).</param>
/// <param name="MaxBoxes">Budget of boxes bounded before giving up with unknown.</param>
/// <param name="BatchSize">Boxes bounded per engine call.</param>
/// <param name="TimeoutSeconds">Wall-clock budget; unknown (reported as timeout) when exceeded.</param>
/// <param name="Attack">Attack run on the whole region before splitting.</param>
/// <param name="ProofMargin">A row counts as refuted only when its lower bound exceeds D by this much, which absorbs the
/// float32 rounding of the ONNX model that the float64 bounds do not model.</param>
/// <param name="Weakening">A deliberate defect for the harness self-check (<see cref="ProverWeakening.None"/> normally).</param>
public sealed record ProverOptions(
    BoundMethod Method = BoundMethod.Crown, int MaxBoxes = 20000, int BatchSize = 64, double TimeoutSeconds = 60,
    AttackBudget? Attack = null, double ProofMargin = 1e-5, ProverWeakening Weakening = ProverWeakening.None);

/// <summary>The prover's answer.</summary>
/// <param name="Status">sat, unsat, unknown or timeout.</param>
/// <param name="X">The counterexample input for sat.</param>
/// <param name="Y">Its output in the reference semantics (or the graph's when no reference was given).</param>
/// <param name="Boxes">Number of boxes bounded.</param>
public sealed record ProverResult(ResultStatus Status, double[]? X, double[]? Y, int Boxes);

/// <summary>
/// A small complete-in-the-limit verifier by input splitting: bound the property rows over a box with
/// <see cref="BoundEngine"/> (float64); a box is done when every disjunct of the unsafe condition has a row whose lower
/// bound is positive; otherwise probe the box (centre + a few PGD steps) for a counterexample and split it along its
/// widest input. The soundness generator uses it to label control instances, and the harness self-check runs it with a
/// <see cref="ProverWeakening"/> to show that an unsound verifier is caught. It is not Certify's main verifier.
/// </summary>
public static class InputSplitProver
{
    /// <summary>
    /// Decides <paramref name="spec"/> on <paramref name="graph"/>. A candidate counterexample is accepted only when
    /// <paramref name="reference"/> (e.g. ONNX Runtime on the original file) confirms it; null trusts the graph.
    /// </summary>
    public static ProverResult Verify(ComputationGraph graph, Specification spec, ProverOptions o, Func<double[], double[]>? reference = null)
    {
        var clock = Stopwatch.StartNew();
        var g64 = graph.MapParameters(p => p.detach().to_type(ScalarType.Float64));
        var engine = new BoundEngine(g64, new BoundOptions { Method = o.Method, DType = ScalarType.Float64 });
        int boxes = 0;
        bool exhausted = false, timedOut = false;
        foreach (var region in spec.Regions)
        {
            var attack = BudgetedAttack.Run(g64, region, o.Attack ?? new AttackBudget(64, 30, 1000), seed: 1);
            if (attack.Found && Confirm(attack.X) is { } y0) return new ProverResult(ResultStatus.Sat, attack.X, y0, boxes);

            var (c, rows) = SpecificationMatrix.FromRegion(region, (int)graph.OutputSize);
            var d = rows.Select(r => r.Row.D + o.ProofMargin).ToArray();
            var clause = rows.Select(r => r.Clause).ToArray();
            int clauses = region.Unsafe.Disjuncts.Count;
            var queue = new Stack<(double[] Lo, double[] Hi)>();
            queue.Push(((double[])region.Lower.Clone(), (double[])region.Upper.Clone()));
            var fullWidth = region.Upper.Zip(region.Lower, (u, l) => Math.Max(u - l, 1e-12)).ToArray();
            while (queue.Count > 0)
            {
                if (clock.Elapsed.TotalSeconds > o.TimeoutSeconds) { timedOut = true; break; }
                if (boxes >= o.MaxBoxes) { exhausted = true; break; }
                var batch = new List<(double[] Lo, double[] Hi)>();
                while (queue.Count > 0 && batch.Count < o.BatchSize) batch.Add(queue.Pop());
                boxes += batch.Count;
                var open = OpenBoxes(engine, g64, batch, c, d, clause, clauses, o.Weakening);
                if (open.Count == 0) continue;
                var (probe, found) = Probe(g64, region, batch, open);
                if (found is { } idx && Confirm(probe[idx]) is { } y) return new ProverResult(ResultStatus.Sat, probe[idx], y, boxes);
                foreach (var i in open)
                {
                    var (lo, hi) = batch[i];
                    int dim = 0;
                    for (int k = 1; k < lo.Length; k++) if ((hi[k] - lo[k]) / fullWidth[k] > (hi[dim] - lo[dim]) / fullWidth[dim]) dim = k;
                    double mid = lo[dim] + (hi[dim] - lo[dim]) / 2;
                    var lowerHi = (double[])hi.Clone(); lowerHi[dim] = mid;
                    var upperLo = (double[])lo.Clone(); upperLo[dim] = mid;
                    if (o.Weakening != ProverWeakening.DropSplitBranch) queue.Push((upperLo, hi));
                    queue.Push((lo, lowerHi));
                }
            }
            if (timedOut) return new ProverResult(ResultStatus.Timeout, null, null, boxes);
            if (exhausted) return new ProverResult(ResultStatus.Unknown, null, null, boxes);
        }
        return new ProverResult(ResultStatus.Unsat, null, null, boxes);

        double[]? Confirm(double[] x)
        {
            var y = reference is null ? Evaluate(g64, x) : reference(x);
            return spec.IsCounterexample(x, y) ? y : null;
        }
    }

    /// <summary>Indices of the boxes of <paramref name="batch"/> whose rows the bounds do not refute.</summary>
    static List<int> OpenBoxes(BoundEngine engine, ComputationGraph g, List<(double[] Lo, double[] Hi)> batch, Tensor c,
        double[] d, int[] clause, int clauses, ProverWeakening weakening)
    {
        using var scope = NewDisposeScope();
        int n = batch[0].Lo.Length;
        var lo = tensor(batch.SelectMany(b => b.Lo).ToArray(), new long[] { batch.Count, n }, ScalarType.Float64);
        var hi = tensor(batch.SelectMany(b => b.Hi).ToArray(), new long[] { batch.Count, n }, ScalarType.Float64);
        SubproblemInputs sub = new() { NeedUpper = false };
        if (weakening == ProverWeakening.SkipIntermediateBounds)
        {
            // The defect: hidden nodes are "bounded" by their value at the centre only.
            var values = g.ForwardAll((lo + hi) / 2);
            var known = new Dictionary<int, Interval>();
            for (int i = 1; i < g.Nodes.Count; i++) if (i != g.OutputId) known[i] = new Interval(values[i], values[i]);
            sub = new SubproblemInputs { NeedUpper = false, KnownBounds = known };
        }
        using var result = engine.Compute(lo, hi, c, sub);
        var lower = result.Lower.data<double>().ToArray();                   // [B, S] row-major
        int rows = d.Length;
        var open = new List<int>();
        for (int b = 0; b < batch.Count; b++)
        {
            var refuted = new bool[clauses];
            for (int s = 0; s < rows; s++) if (lower[b * rows + s] > d[s]) refuted[clause[s]] = true;
            if (!refuted.All(r => r)) open.Add(b);
        }
        return open;
    }

    /// <summary>Searches the open boxes for a counterexample: a few PGD steps from each centre; returns the points and the index of a violating one.</summary>
    static (double[][] Points, int? Found) Probe(ComputationGraph g, InputRegion region, List<(double[] Lo, double[] Hi)> batch, List<int> open)
    {
        using var scope = NewDisposeScope();
        int n = batch[0].Lo.Length, b = open.Count;
        var lo = tensor(open.SelectMany(i => batch[i].Lo).ToArray(), new long[] { b, n }, ScalarType.Float64);
        var hi = tensor(open.SelectMany(i => batch[i].Hi).ToArray(), new long[] { b, n }, ScalarType.Float64);
        var x = (lo + hi) / 2;
        var width = hi - lo;
        var points = new double[open.Count][];
        for (int step = 0; step <= 5; step++)
        {
            var xv = x.detach().requires_grad_(true);
            var obj = ViolationObjective.Of(g.Forward(xv).reshape(b, -1), region);
            var values = obj.detach().data<double>().ToArray();
            var flat = xv.detach().data<double>().ToArray();
            for (int k = 0; k < b; k++)
                if (values[k] <= 0)
                {
                    points[k] = flat.AsSpan(k * n, n).ToArray();
                    return (points, k);
                }
            if (step == 5) break;
            var grad = autograd.grad(new[] { obj.sum() }, new[] { xv })[0];
            using (no_grad()) x = minimum(maximum(xv - grad.sign() * width * 0.25, lo), hi).detach();
        }
        return (points, null);
    }

    static double[] Evaluate(ComputationGraph g, double[] x)
    {
        using var scope = NewDisposeScope();
        return g.Forward(tensor(x, dtype: ScalarType.Float64).unsqueeze(0)).flatten().data<double>().ToArray();
    }

    /// <summary>Parses "none", "skip-intermediate-bounds", "drop-split-branch".</summary>
    public static ProverWeakening ParseWeakening(string text) => text.Trim().ToLowerInvariant() switch
    {
        "" or "none" => ProverWeakening.None,
        "skip-intermediate-bounds" => ProverWeakening.SkipIntermediateBounds,
        "drop-split-branch" => ProverWeakening.DropSplitBranch,
        _ => throw new ArgumentException($"unknown weakening '{text}' (supported: none, skip-intermediate-bounds, drop-split-branch)"),
    };

    /// <summary>The command-line name of a weakening.</summary>
    public static string WeakeningName(ProverWeakening w) => w switch
    {
        ProverWeakening.SkipIntermediateBounds => "skip-intermediate-bounds",
        ProverWeakening.DropSplitBranch => "drop-split-branch",
        _ => "none",
    };
}

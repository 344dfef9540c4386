using Certify.Bounds;
using Certify.Graph;
using Certify.Solvers.Encoding;
using Certify.Solvers.Milp;
using static TorchSharp.torch;

namespace Certify.Verification.Search;

/// <summary>What one region's refinement did: work, and how much it tightened the refined layers (sums over their neurons).</summary>
/// <param name="Layers">Layers refined (their input nodes).</param>
/// <param name="Work">The LPs' work, summed over the layers.</param>
/// <param name="UnstableBefore">Neurons of the refined layers unstable under CROWN's bounds (l &lt; 0 &lt; u).</param>
/// <param name="UnstableAfter">The same under the refined bounds: the difference became stable (exact relaxations).</param>
/// <param name="WidthBefore">Sum of <c>u − l</c> over the neurons unstable under CROWN's bounds, with CROWN's bounds.</param>
/// <param name="WidthAfter">The same sum with the refined bounds.</param>
/// <param name="Elapsed">Wall time, for logs only (never for decisions or tests: a loaded machine distorts it).</param>
public sealed record RefinementReport(int Layers, LpRefinementWork Work, int UnstableBefore, int UnstableAfter, double WidthBefore, double WidthAfter,
    TimeSpan Elapsed = default)
{
    public override string ToString() =>
        $"{Layers} layer(s), {Work.Solved} LPs solved, {Work.Unfinished} unfinished, {Work.Iterations} simplex iterations; " +
        $"unstable {UnstableBefore} -> {UnstableAfter}, width {WidthBefore:G4} -> {WidthAfter:G4}" + (Work.Detail is { } d ? $" ({d})" : "") +
        $" [{Elapsed.TotalSeconds:F2} s]";
}

/// <summary>
/// The intermediate bounds of one root box tightened by linear programming (<see cref="BoundRefinementOptions"/>), held
/// as flat float64 arrays per node and handed to the bound engine as outer bounds
/// (<see cref="SubproblemInputs.OuterBounds"/>) in each engine's dtype, so that every bound of the search is intersected
/// with them and never replaced by them. They hold for every input of the root box, hence on every sub-box and under
/// every split. Owns the tensors it hands out.
/// <para>
/// Layer by layer: float64 CROWN on the box (with the layers refined so far as outer bounds, so that the next layer's
/// CROWN bounds and its unstable neurons already reflect them, intersected with the first, plain CROWN pass), then for the next layer's unstable neurons the LP
/// minimum and maximum of <see cref="LpNeuronBounds"/> over the encoding that takes every node's CROWN bounds (widened by
/// <see cref="CrownSlack"/> for float64 rounding) as its own. The result is intersected with those bounds by
/// construction (the encoder starts from them) and then with CROWN's unwidened bounds, so a layer is never looser than
/// CROWN made it.
/// </para>
/// </summary>
public sealed class IntermediateRefinement : IDisposable
{
    /// <summary>Relative widening of the float64 CROWN bounds handed to the encoding: far above float64 CROWN's rounding.</summary>
    public const double CrownSlack = 1e-9;

    readonly Dictionary<int, (double[] Lower, double[] Upper, long[] Shape)> _bounds = new();
    readonly Dictionary<ScalarType, Dictionary<int, Interval>> _tensors = new();

    /// <summary>The refined bounds per node id (flat, float64).</summary>
    public IReadOnlyDictionary<int, (double[] Lower, double[] Upper)> Bounds => _bounds.ToDictionary(kv => kv.Key, kv => (kv.Value.Lower, kv.Value.Upper));

    /// <summary>What the refinement did.</summary>
    public RefinementReport Report { get; private set; } = new(0, new LpRefinementWork(0, 0, 0, 0), 0, 0, 0, 0);

    /// <summary>
    /// Refines the inputs <paramref name="layerInputs"/> (node ids, in graph order) of the layers to refine on the box
    /// [<paramref name="lower"/>, <paramref name="upper"/>] (flat), with <paramref name="crown64"/> (a float64 CROWN
    /// engine), until <paramref name="deadline"/>; layers or neurons left when it passes keep their CROWN bounds.
    /// </summary>
    public static IntermediateRefinement Run(BoundEngine crown64, double[] lower, double[] upper, IReadOnlyList<int> layerInputs,
        BoundRefinementOptions options, Deadline deadline)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = new IntermediateRefinement();
        // Encoding is one uninterruptible call per layer: not started when its estimated time exceeds the budget (a CNN's
        // encoding takes seconds; see MilpBackend.EncodingWorkPerSecond).
        if (deadline.HasTimeLimit && new MilpBackend().EstimatedEncodingTime(crown64.Graph) is var needed && needed > deadline.Remaining)
        {
            result.Report = new RefinementReport(0, new LpRefinementWork(0, 0, 0, 0, $"encoding would take about {needed.TotalSeconds:F1} s, more than the {deadline.Remaining.TotalSeconds:F1} s budget"), 0, 0, 0, 0, clock.Elapsed);
            return result;
        }
        int layers = 0, unstableBefore = 0, unstableAfter = 0, solved = 0, unfinished = 0, tightened = 0;
        long iterations = 0;
        double widthBefore = 0, widthAfter = 0;
        string? detail = null;
        using var scope = NewDisposeScope();
        var lo = tensor(lower, dtype: ScalarType.Float64).unsqueeze(0);
        var hi = tensor(upper, dtype: ScalarType.Float64).unsqueeze(0);
        IntermediateBounds? plain = null;
        foreach (int node in layerInputs)
        {
            if (deadline.IsPast) break;
            IntermediateBounds raw;
            using (var crown = crown64.Compute(lo, hi, null, new SubproblemInputs { OuterBounds = result.For(ScalarType.Float64, owned: false) }))
                raw = IntermediateBounds.FromBoundResult(crown, 0, 0);
            // CROWN is not monotone in its intermediate bounds (tighter ones can flip a ReLU's adaptive lower slope), so the
            // pass informed by the refined layers is intersected with the first, plain one: never looser than either.
            plain ??= raw;
            raw = Intersect(raw, plain);
            var given = Widened(raw, CrownSlack);
            raw.TryGet(node, out var l0, out var u0);
            var unstable = Enumerable.Range(0, l0.Length).Where(j => l0[j] < 0 && u0[j] > 0).ToArray();
            var neurons = unstable.OrderByDescending(j => Math.Min(-l0[j], u0[j])).Take(options.NeuronsPerLayer).ToArray();
            var (l, u, work) = LpNeuronBounds.Refine(crown64.Graph, lower, upper, given, node, neurons, options.IterationsPerProgram,
                options.Tolerance, deadline, options.Solver);
            // Intersected with CROWN's own bounds too (not only the widened ones the encoding took): never looser than CROWN.
            // (Crossed bounds, possible only within rounding since the box is not empty, fall back to CROWN's.)
            for (int j = 0; j < l.Length; j++)
            {
                (l[j], u[j]) = (Math.Max(l[j], l0[j]), Math.Min(u[j], u0[j]));
                if (!(l[j] <= u[j])) (l[j], u[j]) = (l0[j], u0[j]);
            }
            layers++;
            solved += work.Solved; unfinished += work.Unfinished; tightened += work.Tightened; iterations += work.Iterations;
            detail ??= work.Detail;
            unstableBefore += unstable.Length;
            unstableAfter += unstable.Count(j => l[j] < 0 && u[j] > 0);
            widthBefore += unstable.Sum(j => u0[j] - l0[j]);
            widthAfter += unstable.Sum(j => u[j] - l[j]);
            result._bounds[node] = (l, u, crown64.Graph.Nodes[node].Shape);
        }
        result.Report = new RefinementReport(layers, new LpRefinementWork(solved, unfinished, tightened, iterations, detail),
            unstableBefore, unstableAfter, widthBefore, widthAfter, clock.Elapsed);
        return result;
    }

    /// <summary>Node by node, the intersection of two sets of bounds of the same nodes (the nodes of <paramref name="a"/>).</summary>
    static IntermediateBounds Intersect(IntermediateBounds a, IntermediateBounds b)
    {
        var r = new IntermediateBounds();
        foreach (int id in a.Nodes)
        {
            a.TryGet(id, out var al, out var au);
            if (!b.TryGet(id, out var bl, out var bu)) { r.Set(id, al, au); continue; }
            r.Set(id, al.Zip(bl, Math.Max).ToArray(), au.Zip(bu, Math.Min).ToArray());
        }
        return r;
    }

    /// <summary>Every bound widened outward by <paramref name="slack"/>·(1 + |bound|), as <see cref="IntermediateBounds.FromBoundResult"/> does.</summary>
    static IntermediateBounds Widened(IntermediateBounds a, double slack)
    {
        var r = new IntermediateBounds();
        foreach (int id in a.Nodes)
        {
            a.TryGet(id, out var l, out var u);
            r.Set(id, l.Select(v => v - slack * (1 + Math.Abs(v))).ToArray(), u.Select(v => v + slack * (1 + Math.Abs(v))).ToArray());
        }
        return r;
    }

    /// <summary>
    /// The refined bounds as outer bounds for an engine in <paramref name="dtype"/>, <c>[1, *shape]</c> per node; float32
    /// values are rounded outward (lower down, upper up), so that they stay sound. Held (and disposed) by this object.
    /// </summary>
    public IReadOnlyDictionary<int, Interval>? For(ScalarType dtype) => For(dtype, owned: true);

    Dictionary<int, Interval>? For(ScalarType dtype, bool owned)
    {
        if (_bounds.Count == 0) return null;
        if (owned && _tensors.TryGetValue(dtype, out var held)) return held;
        var map = new Dictionary<int, Interval>();
        foreach (var (id, (l, u, shape)) in _bounds)
        {
            var s = ComputationGraph.ShapeWithBatch(1, shape);
            Tensor lt, ut;
            if (dtype == ScalarType.Float64) { lt = tensor(l).reshape(s); ut = tensor(u).reshape(s); }
            else
            {
                lt = tensor(l.Select(Down).ToArray()).reshape(s);
                ut = tensor(u.Select(Up).ToArray()).reshape(s);
            }
            if (owned) { lt = lt.DetachFromDisposeScope(); ut = ut.DetachFromDisposeScope(); }
            map[id] = new Interval(lt, ut);
        }
        if (owned) _tensors[dtype] = map;
        return map;
    }

    static float Down(double v) { float f = (float)v; return f > v ? MathF.BitDecrement(f) : f; }
    static float Up(double v) { float f = (float)v; return f < v ? MathF.BitIncrement(f) : f; }

    public void Dispose()
    {
        foreach (var map in _tensors.Values)
            foreach (var iv in map.Values) { iv.Lower.Dispose(); iv.Upper.Dispose(); }
        _tensors.Clear();
    }
}

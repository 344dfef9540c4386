using Certify.Bounds;
using Certify.Graph;
using Certify.Operators;
using Certify.Tests.Solvers;
using Certify.Verification.Search;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Certify.Tests.Search;

/// <summary>
/// The LP refinement of intermediate bounds (<see cref="IntermediateRefinement"/>, <see cref="BabOptions.Refinement"/>):
/// on random small ReLU networks and boxes, the refined bounds contain every sampled pre-activation (float64 and float32
/// networks, and the float32 copies handed to a float32 engine), lie inside CROWN's and are tighter somewhere; a program
/// stopped by its iteration budget, or a refinement out of time, leaves CROWN's bounds; the engine's outer bounds only
/// tighten and stay sound; and branch and bound with refinement proves what it proves without it, in no more domains.
/// </summary>
[Collection(SequentialRandomCollection.Name)]
public sealed class IntermediateRefinementTests(ITestOutputHelper output)
{
    /// <summary>A random box of half-width <paramref name="eps"/> around a random centre in [−1, 1]ⁿ.</summary>
    static (double[] Lo, double[] Hi) Box(int seed, int n, double eps)
    {
        var rng = new Random(seed);
        var c = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        return (c.Select(v => v - eps).ToArray(), c.Select(v => v + eps).ToArray());
    }

    static ComputationGraph Network(int seed, bool f64, params int[] widths)
    {
        var g = TestNetworks.Mlp(seed, widths);
        return f64 ? g : g.To(ScalarType.Float32);
    }

    static BoundEngine Crown64(ComputationGraph g) => new(g, new BoundOptions { Method = BoundMethod.Crown, DType = ScalarType.Float64 });

    /// <summary>The inputs of every ReLU after the first (the layers refinement may tighten), in graph order.</summary>
    static List<int> LaterReluInputs(ComputationGraph g) => g.Nodes.Where(n => n.Op is ReluOp).Select(n => n.Inputs[0]).Skip(1).ToList();

    static (double[] Lo, double[] Hi) CrownBounds(BoundEngine e, double[] lo, double[] hi, int node)
    {
        using var scope = NewDisposeScope();
        using var r = e.Compute(tensor(lo).unsqueeze(0), tensor(hi).unsqueeze(0));
        var iv = r.Node(node)!.Value;
        return (iv.Lower.reshape(-1).data<double>().ToArray(), iv.Upper.reshape(-1).data<double>().ToArray());
    }

    public static TheoryData<int, bool> SeedsAndDtypes()
    {
        var d = new TheoryData<int, bool>();
        foreach (var seed in new[] { 1, 2, 3, 4 }) foreach (var f64 in new[] { true, false }) d.Add(seed, f64);
        return d;
    }

    [Theory]
    [MemberData(nameof(SeedsAndDtypes))]
    public void Refined_bounds_contain_every_sampled_pre_activation_and_lie_inside_crown(int seed, bool f64)
    {
        var g = Network(seed, f64, 6, 16, 16, 16, 2);
        var (lo, hi) = Box(seed, 6, 0.4);
        var crown = Crown64(g);
        var layers = LaterReluInputs(g);
        using var refined = IntermediateRefinement.Run(crown, lo, hi, layers, new BoundRefinementOptions { Enabled = true }, Deadline.After(WorkBudgets.HangGuard));
        output.WriteLine(refined.Report.ToString());
        Assert.Equal(layers.Count, refined.Report.Layers);
        var r32 = refined.For(ScalarType.Float32)!;
        using (NewDisposeScope())
        {
            var g64 = crown.Graph;
            foreach (var x in TestNetworks.Samples(lo, hi, 3000, seed))
            {
                var all = g64.ForwardAll(tensor(x, new long[] { 1, 6 }));
                foreach (var id in layers)
                {
                    var v = all[id].reshape(-1).data<double>().ToArray();
                    var (l, u) = refined.Bounds[id];
                    var l32 = r32[id].Lower.reshape(-1).data<float>().ToArray();
                    var u32 = r32[id].Upper.reshape(-1).data<float>().ToArray();
                    for (int j = 0; j < v.Length; j++)
                    {
                        Assert.InRange(v[j], l[j], u[j]);
                        Assert.InRange(v[j], l32[j], u32[j]);
                    }
                }
            }
        }
        // Inside CROWN's bounds of the first refined layer (later layers' CROWN bounds already improve with the earlier
        // refined ones, so the plain CROWN bounds are the looser reference there too).
        foreach (var id in layers)
        {
            var (cl, cu) = CrownBounds(crown, lo, hi, id);
            var (l, u) = refined.Bounds[id];
            for (int j = 0; j < l.Length; j++) { Assert.True(l[j] >= cl[j], $"node {id}[{j}] lower"); Assert.True(u[j] <= cu[j], $"node {id}[{j}] upper"); }
        }
    }

    [Fact]
    public void Refinement_tightens_the_bounds_of_random_networks_somewhere()
    {
        // The test that fails when the LP (or its safe dual bound) gives nothing: over a few networks, some unstable
        // neuron's bounds must come out strictly tighter than CROWN's, by a visible amount.
        double before = 0, after = 0;
        int stabilised = 0;
        foreach (var seed in new[] { 1, 2, 3 })
        {
            var g = Network(seed, true, 6, 16, 16, 16, 2);
            var (lo, hi) = Box(seed, 6, 0.4);
            using var refined = IntermediateRefinement.Run(Crown64(g), lo, hi, LaterReluInputs(g), new BoundRefinementOptions { Enabled = true }, Deadline.After(WorkBudgets.HangGuard));
            output.WriteLine($"seed {seed}: {refined.Report}");
            before += refined.Report.WidthBefore; after += refined.Report.WidthAfter;
            stabilised += refined.Report.UnstableBefore - refined.Report.UnstableAfter;
            Assert.True(refined.Report.Work.Solved > 0);
        }
        Assert.True(after < 0.95 * before, $"widths {before} -> {after}");
        Assert.True(stabilised >= 0);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_program_stopped_by_its_iteration_budget_leaves_the_crown_bound(bool f64)
    {
        var g = Network(5, f64, 6, 16, 16, 2);
        var (lo, hi) = Box(5, 6, 0.4);
        var crown = Crown64(g);
        var layers = LaterReluInputs(g);
        // One simplex iteration per program: none of these programs (about 40 rows) can finish in it.
        using var refined = IntermediateRefinement.Run(crown, lo, hi, layers, new BoundRefinementOptions { Enabled = true, IterationsPerProgram = 1 }, Deadline.After(WorkBudgets.HangGuard));
        output.WriteLine(refined.Report.ToString());
        Assert.True(refined.Report.Work.Unfinished > 0);
        Assert.Equal(0, refined.Report.Work.Tightened);
        var (cl, cu) = CrownBounds(crown, lo, hi, layers[0]);
        Assert.Equal(cl, refined.Bounds[layers[0]].Lower);
        Assert.Equal(cu, refined.Bounds[layers[0]].Upper);
    }

    [Fact]
    public void A_refinement_out_of_time_refines_nothing()
    {
        var g = Network(6, true, 6, 16, 16, 2);
        var (lo, hi) = Box(6, 6, 0.4);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        using var refined = IntermediateRefinement.Run(Crown64(g), lo, hi, LaterReluInputs(g), new BoundRefinementOptions { Enabled = true }, Deadline.Cancelled(cts.Token));
        Assert.Equal(0, refined.Report.Layers);
        Assert.Null(refined.For(ScalarType.Float32));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Outer_bounds_only_tighten_the_engine_and_stay_sound(bool f64)
    {
        var g = Network(7, f64, 6, 16, 16, 16, 2);
        var (lo, hi) = Box(7, 6, 0.4);
        var dtype = f64 ? ScalarType.Float64 : ScalarType.Float32;
        using var refined = IntermediateRefinement.Run(Crown64(g), lo, hi, LaterReluInputs(g), new BoundRefinementOptions { Enabled = true }, Deadline.After(WorkBudgets.HangGuard));
        var engine = new BoundEngine(g, new BoundOptions { Method = BoundMethod.Crown, DType = dtype });
        using var scope = NewDisposeScope();
        var (tl, th) = (tensor(lo).unsqueeze(0), tensor(hi).unsqueeze(0));
        using var plain = engine.Compute(tl, th);
        using var outer = engine.Compute(tl, th, null, new SubproblemInputs { OuterBounds = refined.For(dtype) });
        for (int id = 1; id < g.Nodes.Count; id++)
        {
            var (p, o) = (plain.Node(id)!.Value, outer.Node(id)!.Value);
            Assert.True(o.Lower.ge(p.Lower).all().item<bool>() && o.Upper.le(p.Upper).all().item<bool>(), $"node {id} looser with outer bounds");
        }
        Assert.True(outer.Lower.ge(plain.Lower).all().item<bool>() && outer.Upper.le(plain.Upper).all().item<bool>());
        Assert.True((outer.Upper - outer.Lower).sum().to_type(ScalarType.Float64).item<double>() < (plain.Upper - plain.Lower).sum().to_type(ScalarType.Float64).item<double>(), "the outer bounds tightened no output");
        var g64 = g.To(ScalarType.Float64);
        foreach (var x in TestNetworks.Samples(lo, hi, 2000, 7))
        {
            var y = g64.Forward(tensor(x, new long[] { 1, 6 })).reshape(-1).data<double>().ToArray();
            var ol = outer.Lower.reshape(-1).to_type(ScalarType.Float64).data<double>().ToArray();
            var ou = outer.Upper.reshape(-1).to_type(ScalarType.Float64).data<double>().ToArray();
            for (int j = 0; j < y.Length; j++) Assert.InRange(y[j], ol[j] - 1e-5, ou[j] + 1e-5);
        }
    }

    /// <summary>
    /// Branch and bound (neuron splitting, float32, beta-CROWN) with refinement proves what it proves without it, never
    /// answers a violated property verified, and over a few random networks needs fewer domains in all. Each property
    /// <c>y₀ − y₁ &gt; d</c> puts d between the root CROWN bound and the smallest sampled value, so the root cannot prove
    /// it; the violated one puts d above a sampled value.
    /// </summary>
    [Fact]
    public void Branch_and_bound_with_refinement_proves_with_fewer_domains_and_never_wrongly()
    {
        long withTotal = 0, withoutTotal = 0;
        int proven = 0;
        foreach (var seed in new[] { 11, 12, 13, 14 })
        {
            var g = Network(seed, false, 5, 24, 24, 24, 2);
            var (lo, hi) = Box(seed, 5, 0.5);
            var c = new[] { 1.0, -1.0 };
            var g64 = g.To(ScalarType.Float64);
            var values = TestNetworks.Samples(lo, hi, 4000, seed).Select(x => g64.Forward(tensor(x, new long[] { 1, 5 })).reshape(-1).data<double>().ToArray())
                .Select(y => y[0] - y[1]).ToArray();
            double sampledMin = values.Min();
            double root;
            using (NewDisposeScope())
            using (var r = new BoundEngine(g, new BoundOptions { Method = BoundMethod.Crown, DType = ScalarType.Float64 })
                .Compute(tensor(lo).unsqueeze(0), tensor(hi).unsqueeze(0), tensor(c).unsqueeze(0)))
                root = r.Lower.to_type(ScalarType.Float64).item<double>();
            double d = root + 0.6 * (sampledMin - root);
            var bab = new BabOptions { Strategy = SplitStrategy.NeuronSplit, MaxDomains = 20_000, BatchSize = 64 };
            var on = bab with { Refinement = new BoundRefinementOptions { Enabled = true, MaxTime = WorkBudgets.HangGuard, TimeShare = 1 } };
            var spec = TestNetworks.HalfSpaceSpec(lo, hi, c, d);
            var without = new BranchAndBound(g, bab).Run(spec);
            var withBab = new BranchAndBound(g, on);
            var with = withBab.Run(spec);
            output.WriteLine($"seed {seed}: root {root:G4}, d {d:G4}, sampled min {sampledMin:G4}; without {without.Status} {without.Statistics.DomainsBounded}; with {with.Status} {with.Statistics.DomainsBounded} ({withBab.Refinements.Single()})");
            Assert.NotEqual(BabStatus.Candidate, without.Status);
            Assert.NotEqual(BabStatus.Candidate, with.Status);
            Assert.Equal(without.Status, with.Status);
            if (with.Verified) { proven++; withTotal += with.Statistics.DomainsBounded; withoutTotal += without.Statistics.DomainsBounded; }

            var violated = TestNetworks.HalfSpaceSpec(lo, hi, c, sampledMin + 0.05 * (values.Max() - sampledMin));
            var bad = new BranchAndBound(g, on with { MaxDomains = 5_000 }).Run(violated);
            Assert.NotEqual(BabStatus.Verified, bad.Status);
        }
        output.WriteLine($"proven {proven}; domains with refinement {withTotal}, without {withoutTotal}");
        Assert.True(proven >= 2, $"only {proven} properties proven");
        Assert.True(withTotal < withoutTotal, $"refinement needed {withTotal} domains, {withoutTotal} without");
    }
}

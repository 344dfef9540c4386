using System.Reflection;
using Certify.Graph;
using Certify.Import;
using Certify.Spec;
using Certify.Tests.Solvers;
using Certify.Verification;

namespace Certify.Tests.Verification;

/// <summary>A random MLP exported to a temporary ONNX file (float32 weights) and its ONNX Runtime reference model.</summary>
public sealed class ExportedNetwork : IDisposable
{
    readonly string _path = Path.Combine(Path.GetTempPath(), $"certify-verif-{Guid.NewGuid():N}.onnx");

    public ExportedNetwork(ComputationGraph graph)
    {
        OnnxExporter.Export(graph, _path);
        Graph = OnnxImporter.Import(_path);          // the graph as Certify reads the file back (float32 weights)
        Reference = new OnnxReferenceModel(_path);
    }

    public ComputationGraph Graph { get; }
    public OnnxReferenceModel Reference { get; }

    public void Dispose() { Reference.Dispose(); File.Delete(_path); }
}

public class CounterexampleCheckerTests
{
    static readonly double[] Lo = { -1, -1, -1 }, Hi = { 1, 1, 1 };

    [Fact]
    public void A_real_violation_becomes_sat_with_the_onnx_runtime_output()
    {
        using var net = new ExportedNetwork(TestNetworks.Mlp(3, 3, 8, 2));
        var x = new[] { 0.3, -0.2, 0.9 };
        var y = net.Reference.Run(x);
        // Unsafe: y0 ≤ y0(x) + 0.01 (holds at x).
        var spec = TestNetworks.HalfSpaceSpec(Lo, Hi, new[] { 1.0, 0 }, y[0] + 0.01);
        var v = new CounterexampleChecker(net.Reference, spec).Confirm(x);
        Assert.NotNull(v);
        Assert.Equal(VerdictKind.Sat, v!.Kind);
        Assert.Equal(y, v.Counterexample!.Y);
        Assert.Equal(x, v.Counterexample.X);
        Assert.True(v.Counterexample.Margin <= 0);
        Assert.Contains("(Y_1 ", v.Counterexample.ToVnnComp());
    }

    [Fact]
    public void A_tiny_excursion_is_clipped_into_the_box_and_a_large_one_is_rejected()
    {
        using var net = new ExportedNetwork(TestNetworks.Mlp(4, 3, 8, 2));
        // Unsafe everywhere in the box (y0 ≤ 1e9), so only the box test decides.
        var spec = TestNetworks.HalfSpaceSpec(Lo, Hi, new[] { 1.0, 0 }, 1e9);
        var checker = new CounterexampleChecker(net.Reference, spec);
        var near = checker.Check(new[] { 1 + 5e-7, 0.0, -1 - 5e-7 });
        Assert.True(near.Confirmed);
        Assert.Equal(new[] { 1.0, 0, -1 }, near.Verdict!.Counterexample!.X);
        var far = checker.Check(new[] { 1 + 1e-3, 0.0, 0 });
        Assert.False(far.Confirmed);
        Assert.Contains("outside", far.Detail);
    }

    [Fact]
    public void A_violation_only_in_float64_arithmetic_is_not_sat()
    {
        var g = TestNetworks.Mlp(5, 3, 16, 16, 2);
        using var net = new ExportedNetwork(g);
        var rng = new Random(5);
        int tested = 0;
        for (int s = 0; s < 200 && tested < 10; s++)
        {
            var x = Lo.Select((l, i) => l + rng.NextDouble() * (Hi[i] - l)).ToArray();
            double y64 = TestNetworks.Forward(g, x)[0], y32 = net.Reference.Run(x)[0];
            if (y64 == y32) continue;
            // The boundary lies between the two: the float64 pass violates (c·y ≤ d), ONNX Runtime's float32 pass does not.
            double sign = y64 < y32 ? 1 : -1;
            double d = sign * (y64 + y32) / 2;
            Assert.True(sign * y64 <= d && sign * y32 > d);
            var spec = TestNetworks.HalfSpaceSpec(Lo, Hi, new[] { sign, 0 }, d);
            var result = new CounterexampleChecker(net.Reference, spec).Check(x);
            Assert.False(result.Confirmed);
            Assert.True(result.BestMargin > 0);
            tested++;
        }
        Assert.True(tested >= 5, "float32 and float64 outputs agreed exactly on almost every sample");
    }

    [Fact]
    public void Only_the_checker_can_make_a_sat_verdict()
    {
        // Soundness by construction: no public factory of Verdict returns sat and Counterexample has no public constructor.
        var factories = typeof(Verdict).GetMethods(BindingFlags.Public | BindingFlags.Static).Where(m => m.ReturnType == typeof(Verdict)).Select(m => m.Name).ToList();
        Assert.Equal(new[] { "Timeout", "Unknown", "Unsat" }, factories.OrderBy(n => n));
        Assert.Empty(typeof(Counterexample).GetConstructors(BindingFlags.Public | BindingFlags.Instance));
        Assert.Empty(typeof(Verdict).GetConstructors(BindingFlags.Public | BindingFlags.Instance));
    }

    [SkippableFact]
    public void Sampling_through_onnx_runtime_finds_a_counterexample_the_checker_accepts_on_a_bench_network()
    {
        var bench = TestPaths.RequireBench();
        var spec = VnnLibParser.Parse(Path.Combine(bench, "test_vnncomp/vnnlib/test_prop.vnnlib"));
        using var reference = new OnnxReferenceModel(Path.Combine(bench, "test_vnncomp/onnx/test_sat.onnx"));
        var checker = new CounterexampleChecker(reference, spec);
        var region = spec.Regions[0];
        var rng = new Random(1);
        Verdict? sat = null;
        for (int s = 0; s < 5000 && sat is null; s++)
            sat = checker.Confirm(region.Lower.Select((l, i) => l + rng.NextDouble() * (region.Upper[i] - l)).ToArray());
        Assert.NotNull(sat);
        var ce = sat!.Counterexample!;
        Assert.True(region.Contains(ce.X));
        Assert.True(region.Unsafe.HoldsAt(reference.Run(ce.X)));
    }
}

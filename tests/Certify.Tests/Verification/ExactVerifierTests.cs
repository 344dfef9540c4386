using Certify.Bounds;
using Certify.Graph;
using Certify.Import;
using Certify.Operators;
using Certify.Solvers;
using Certify.Solvers.Encoding;
using Certify.Solvers.Milp;
using Certify.Solvers.Smt;
using Certify.Spec;
using Certify.Tests.Solvers;
using Certify.Verification;
using static TorchSharp.torch;

namespace Certify.Tests.Verification;

public class ExactVerifierTests
{
    /// <summary>Only a hang guard: these models solve in milliseconds, and no asserted outcome may depend on a time limit.</summary>
    static readonly TimeSpan Limit = WorkBudgets.HangGuard;

    static void AssertReproduces(Verdict v, Specification spec, IReferenceModel reference)
    {
        var ce = v.Counterexample!;
        Assert.True(spec.Regions[ce.Region].Contains(ce.X));
        Assert.True(spec.Regions[ce.Region].Unsafe.Disjuncts[ce.Disjunct].HoldsAt(reference.Run(ce.X)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Milp_and_z3_give_the_same_verdicts_and_every_sat_reproduces(int seed)
    {
        using var net = new ExportedNetwork(TestNetworks.Mlp(seed, 3, 6, 6, 2));
        var lo = new[] { -1.0, -1, -1 }; var hi = new[] { 1.0, 1, 1 };
        // Property "y0 − y1 stays below t": unsafe y1 − y0 ≤ −t.
        var c = new[] { 1.0, -1 };
        var max = new MilpBackend().Optimize(net.Graph, lo, hi, c, true, Limit).Value;
        foreach (var (t, expected) in new[] { (max - 0.05, VerdictKind.Sat), (max + 0.05, VerdictKind.Unsat) })
        {
            var spec = TestNetworks.HalfSpaceSpec(lo, hi, new[] { -1.0, 1 }, -t);
            var checker = new CounterexampleChecker(net.Reference, spec);
            foreach (IExactBackend backend in new IExactBackend[] { new MilpBackend(), new Z3Backend() })
            {
                var v = new ExactVerifier(backend, checker).Verify(net.Graph, Limit);
                Assert.Equal(expected, v.Kind);
                if (v.Kind == VerdictKind.Sat) AssertReproduces(v, spec, net.Reference);
                else Assert.Contains(backend.Name, v.ProvedBy);
            }
        }
    }

    [Fact]
    public void A_threshold_exactly_at_the_maximum_is_never_unsat()
    {
        // At t = max the unsafe set is a single boundary point: solvers find it, float32 may or may not reproduce it,
        // but the property is violated in exact arithmetic, so unsat would be wrong.
        using var net = new ExportedNetwork(TestNetworks.Mlp(8, 3, 8, 8, 1));
        var lo = new[] { -1.0, -1, -1 }; var hi = new[] { 1.0, 1, 1 };
        var max = new MilpBackend().Optimize(net.Graph, lo, hi, new[] { 1.0 }, true, Limit).Value;
        var spec = TestNetworks.HalfSpaceSpec(lo, hi, new[] { -1.0 }, -max);
        var v = new ExactVerifier(new MilpBackend(), new CounterexampleChecker(net.Reference, spec)).Verify(net.Graph, Limit);
        Assert.NotEqual(VerdictKind.Unsat, v.Kind);
        if (v.Kind == VerdictKind.Sat) AssertReproduces(v, spec, net.Reference);
    }

    [Fact]
    public void An_unsupported_op_gives_unknown_naming_the_node()
    {
        var b = new GraphBuilder(new long[] { 2 });
        int h = b.Add(new LinearOp(ones(2, 2, dtype: ScalarType.Float64), null), "fc", "test", 0);
        h = b.Add(new SigmoidOp(), "gate", "Sigmoid 'gate'", h);
        var g = b.Build(h);
        var spec = TestNetworks.HalfSpaceSpec(new[] { 0.0, 0 }, new[] { 1.0, 1 }, new[] { 1.0, 0 }, -5);
        var v = new ExactVerifier(new MilpBackend(), new CounterexampleChecker(new TorchReferenceModel(g), spec)).Verify(g, Limit);
        Assert.Equal(VerdictKind.Unknown, v.Kind);
        Assert.Contains("gate", v.Reason);
    }

    [SkippableFact]
    public void Milp_with_crown_bounds_decides_the_labelled_test_vnncomp_instances()
    {
        var bench = TestPaths.RequireBench();
        var spec = VnnLibParser.Parse(Path.Combine(bench, "test_vnncomp/vnnlib/test_prop.vnnlib"));
        foreach (var (file, expected) in new[] { ("test_unsat.onnx", VerdictKind.Unsat), ("test_sat.onnx", VerdictKind.Sat) })
        {
            var path = Path.Combine(bench, "test_vnncomp/onnx", file);
            var graph = OnnxImporter.Import(path);
            using var reference = new OnnxReferenceModel(path);
            var checker = new CounterexampleChecker(reference, spec);
            var v = new ExactVerifier(new MilpBackend(), checker).Verify(graph, Limit, r => CrownBounds(graph, spec.Regions[r]));
            Assert.Equal(expected, v.Kind);
            if (v.Kind == VerdictKind.Sat) AssertReproduces(v, spec, reference);
        }
    }

    /// <summary>CROWN bounds of every node on a region's box, from the bound engine, for the MILP's big-M constants.</summary>
    static IntermediateBounds CrownBounds(ComputationGraph graph, InputRegion region)
    {
        var engine = new BoundEngine(graph, new BoundOptions { Method = BoundMethod.Crown, DType = ScalarType.Float64 });
        using var scope = NewDisposeScope();
        using var result = engine.Compute(tensor(region.Lower).unsqueeze(0), tensor(region.Upper).unsqueeze(0));
        return IntermediateBounds.FromBoundResult(result);
    }

    [SkippableFact]
    public void Test_nano_is_proven_by_both_backends()
    {
        var bench = TestPaths.RequireBench();
        var spec = VnnLibParser.Parse(Path.Combine(bench, "test_vnncomp/vnnlib/test_nano.vnnlib"));
        var path = Path.Combine(bench, "test_vnncomp/onnx/test_nano.onnx");
        var graph = OnnxImporter.Import(path);
        using var reference = new OnnxReferenceModel(path);
        foreach (IExactBackend backend in new IExactBackend[] { new MilpBackend(), new Z3Backend() })
            Assert.Equal(VerdictKind.Unsat, new ExactVerifier(backend, new CounterexampleChecker(reference, spec)).Verify(graph, Limit).Kind);
    }
}

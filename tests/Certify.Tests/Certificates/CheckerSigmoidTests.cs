using Certify.Bounds;
using Certify.Checker;
using Certify.Graph;
using Certify.Import;
using Certify.Operators;
using Certify.Spec;
using Certify.Verification;
using Certify.Verification.Proofs;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Certify.Tests.Certificates;

/// <summary>
/// The checker's Sigmoid rule against brute force (its lines hold at every sampled point of their interval, and are not
/// vacuous), its bounds on a sigmoid network against sampling and Certify's CROWN, and an engine proof on a sigmoid network
/// accepted end to end. Work budgets only.
/// </summary>
[Collection(SequentialRandomCollection.Name)]
public sealed class CheckerSigmoidTests(ITestOutputHelper output) : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("certify-sigmoid-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    static double Sigma(double x) => 1 / (1 + Math.Exp(-x));

    [Fact]
    public void Sigmoid_lines_lie_on_their_side_of_the_curve_at_every_sampled_point_and_are_not_vacuous()
    {
        var random = new Random(14);
        for (int k = 0; k < 3000; k++)
        {
            // Intervals left of 0, right of 0, across it, narrow and wide, near and far from 0.
            double scale = new[] { 0.01, 0.3, 2, 8, 30 }[k % 5];
            double a = (random.NextDouble() - 0.5) * 2 * scale * 3, b = a + random.NextDouble() * scale;
            foreach (bool upper in new[] { false, true })
            {
                var (s, t) = SigmoidStep.Line(a, b, upper);
                double worstGap = 0;
                for (int i = 0; i <= 200; i++)
                {
                    double x = i == 200 ? b : a + (b - a) * i / 200.0;
                    double line = s * x + t, y = Sigma(x);
                    // Float64 brute force: σ and the line evaluated to about 1e-16; the rule's rigour is in ulps beyond that.
                    Assert.True(upper ? line >= y - 1e-15 : line <= y + 1e-15, $"[{a}, {b}] {(upper ? "upper" : "lower")} line {s}·x + {t} crosses σ at x = {x}: {line} vs {y}");
                    worstGap = Math.Max(worstGap, Math.Abs(line - y));
                }
                // Not vacuous: never worse than the constant σ(a) / σ(b), and near the curve on narrow intervals.
                Assert.True(worstGap <= Sigma(b) - Sigma(a) + 1e-12, $"[{a}, {b}]: gap {worstGap} wider than the interval's range");
                if (b - a <= 0.05) Assert.True(worstGap <= 1e-3, $"[{a}, {b}]: gap {worstGap} on a narrow interval");
            }
        }
    }

    /// <summary>Linear → Sigmoid → Linear → Sigmoid → Linear → ReLU → Linear: the ReLU's input bounds depend on both sigmoids' lines.</summary>
    static ComputationGraph SigmoidNet(int seed)
    {
        var g = manual_seed(seed);
        Tensor W(params long[] shape) => randn(shape, ScalarType.Float64, generator: g) / Math.Sqrt(shape[^1]) * 2.5;
        var b = new GraphBuilder(new long[] { 4 });
        int x = b.Add(new LinearOp(W(12, 4), W(12)), "fc1", "test", 0);
        x = b.Add(new SigmoidOp(), "sig1", "test", x);
        x = b.Add(new LinearOp(W(12, 12), W(12)), "fc2", "test", x);
        x = b.Add(new SigmoidOp(), "sig2", "test", x);
        x = b.Add(new LinearOp(W(8, 12), W(8)), "fc3", "test", x);
        x = b.Add(new ReluOp(), "relu", "test", x);
        x = b.Add(new LinearOp(W(3, 8), W(3)), "out", "test", x);
        return b.Build(x);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void On_a_sigmoid_network_no_sample_escapes_the_checkers_bounds_and_they_are_about_as_tight_as_crown(int seed)
    {
        var graph = SigmoidNet(seed);
        using var scope = NewDisposeScope();
        var net = CheckerInputs.Network(graph);
        var random = new Random(seed);
        var lo = Enumerable.Range(0, 4).Select(_ => random.NextDouble() - 0.5).ToArray();
        var hi = lo.Select(v => v + 0.4).ToArray();
        var own = Assert.Single(CertificateChecker.OwnBounds(net, lo, hi));
        var relu = graph.Nodes.Single(n => n.Op is ReluOp);
        var xs = tensor(lo).unsqueeze(0) + rand(4000, 4, dtype: ScalarType.Float64, generator: manual_seed(seed)) * 0.4;
        var z = graph.ForwardAll(xs)[relu.Inputs[0]]!.reshape(4000, -1);
        Assert.True(z.ge(tensor(own.Lo).unsqueeze(0)).all().item<bool>() && z.le(tensor(own.Hi).unsqueeze(0)).all().item<bool>(), "a sample escapes the checker's bounds");
        var engine = new BoundEngine(graph, new BoundOptions { DType = ScalarType.Float64 });
        using var r = engine.Compute(new InputRegion(lo, hi, new OutputCondition(new[] { new Conjunction(new[] { new HalfSpace(new double[3], 0) }) })));
        var iv = r.Node(relu.Inputs[0])!.Value;
        double engineWidth = (iv.Upper - iv.Lower).sum().item<double>(), ownWidth = own.Hi.Zip(own.Lo, (a, b) => a - b).Sum();
        output.WriteLine($"ReLU input: total width {ownWidth:G6} (checker) against {engineWidth:G6} (CROWN)");
        Assert.True(ownWidth <= 1.05 * engineWidth, $"the checker's bounds ({ownWidth}) are more than 5% wider than CROWN's ({engineWidth})");
    }

    [Fact]
    public void A_sigmoid_network_proof_is_accepted()
    {
        var graph = Certify.Tests.Bounds.TestNetworks.Mlp(() => new SigmoidOp(), 3, width: 10, layers: 2, inputs: 2, outputs: 3).To(ScalarType.Float32);
        using var scope = NewDisposeScope();
        // The threshold lies between the root CROWN bound L and the sampled minimum m of c·y over [-1, 1]², at L + f·(m − L)
        // for shrinking f until input splitting proves it within its domain budget (else just below L: a one-leaf proof).
        var g64 = graph.To(ScalarType.Float64);
        double[] lo = { -1, -1 }, hi = { 1, 1 }, cRow = { 1, -1, 0.5 };
        var xs = rand(20000, 2, dtype: ScalarType.Float64, generator: manual_seed(5)) * 2 - 1;
        double m = matmul(g64.Forward(xs), tensor(cRow)).min().item<double>();
        Specification Spec(double d) => new(new[] { new InputRegion(lo, hi, new OutputCondition(new[] { new Conjunction(new[] { new HalfSpace(cRow, d) }) })) }, 2, 3);
        double root;
        using (var r0 = new BoundEngine(g64, new BoundOptions { DType = ScalarType.Float64 }).Compute(Spec(0).Regions[0])) root = r0.Lower[0, 0].item<double>();
        var model = Path.Combine(_folder, "sigmoid.onnx");
        OnnxExporter.Export(graph, model);
        foreach (double f in new[] { 0.5, 0.2, double.NaN })
        {
            double d = double.IsNaN(f) ? root - 0.01 * (1 + Math.Abs(root)) : root + f * (m - root);
            var property = Path.Combine(_folder, $"sigmoid-{f}.vnnlib");
            VnnLibWriter.Write(Spec(d), property);
            var path = Path.Combine(_folder, $"sigmoid-{f}.json");
            var report = CertificateFixture.Verify(model, property, path, method: BoundMethod.Crown, maxDomains: 3000);
            output.WriteLine($"f = {f}: {report.Verdict}; {report.Certificate}");
            if (report.Verdict.Kind != VerdictKind.Unsat) continue;
            Assert.StartsWith("written", report.Certificate);
            var c = CertificateFiles.Check(model, property, path, parallelism: 1);
            output.WriteLine(c.ToString());
            Assert.True(c.Accepted, c.Message);
            return;
        }
        Assert.Fail("even the root-provable property was not proven");
    }
}

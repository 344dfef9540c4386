using Certify.Checker;
using Certify.Graph;
using Certify.Import;
using Certify.Operators;
using Certify.Spec;
using Certify.Verification;
using Certify.Verification.Proofs;
using Certify.Verification.Search;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Certify.Tests.Certificates;

/// <summary>
/// The checker's operator rules against brute force: its plain network computes what the graph computes (convolutions
/// with symmetric and asymmetric pads, stride, dilation and groups; LeakyReLU; BatchNorm's elementwise affine; flatten),
/// its own bounds contain every sampled value, proofs over them are accepted end to end, and an operator without a rule
/// is "not checkable", named.
/// </summary>
[Collection(SequentialRandomCollection.Name)]
public sealed class CheckerOperatorTests(ITestOutputHelper output) : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("certify-ops-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    /// <summary>Grouped, dilated, strided Conv (1-d then 2-d) with BatchNorm-style scale/shift and LeakyReLU.</summary>
    static ComputationGraph MixedConvNet(int seed)
    {
        var g = manual_seed(seed);
        Tensor W(params long[] shape) => randn(shape, ScalarType.Float64, generator: g) * 0.6;
        var b = new GraphBuilder(new long[] { 4, 7, 7 });
        int x = b.Add(new ConvOp(W(6, 2, 3, 3), W(6), new long[] { 2, 1 }, new long[] { 1, 2, 0, 1 }, new long[] { 1, 2 }, 2), "gconv", "test", 0);
        x = b.Add(new AffineOp(W(6, 1, 1), W(6, 1, 1)), "bn", "test", x);
        x = b.Add(new LeakyReluOp(0.2), "leaky", "test", x);
        x = b.Add(new ConvOp(W(3, 6, 2, 2), null, new long[] { 1, 1 }, new long[] { 0, 0, 0, 0 }, new long[] { 1, 1 }, 1), "conv", "test", x);
        x = b.Add(new ReluOp(), "relu", "test", x);
        long n = b.Nodes[x].Shape.Aggregate(1L, (p, q) => p * q);
        x = b.Add(new ReshapeOp(new[] { n }), "flat", "test", x);
        x = b.Add(new LinearOp(W(3, n) / Math.Sqrt(n), W(3)), "out", "test", x);
        return b.Build(x);
    }

    /// <summary>Conv → ReLU → MaxPool (overlapping 3×3 windows, padding 1, stride 2) → flatten → Linear.</summary>
    static ComputationGraph PoolingNet(int seed)
    {
        var g = manual_seed(seed);
        var b = new GraphBuilder(new long[] { 1, 6, 6 });
        int x = b.Add(new ConvOp(randn(new long[] { 3, 1, 3, 3 }, ScalarType.Float64, generator: g) * 0.6, randn(new long[] { 3 }, ScalarType.Float64, generator: g) * 0.3,
            new long[] { 1, 1 }, new long[] { 1, 1, 1, 1 }, new long[] { 1, 1 }, 1), "conv", "test", 0);
        x = b.Add(new ReluOp(), "relu", "test", x);
        x = b.Add(new MaxPoolOp(new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 1, 1 }, false), "pool", "test", x);
        long n = b.Nodes[x].Shape.Aggregate(1L, (p, q) => p * q);
        x = b.Add(new ReshapeOp(new[] { n }), "flat", "test", x);
        x = b.Add(new LinearOp(randn(new long[] { 3, n }, ScalarType.Float64, generator: g) / Math.Sqrt(n), null), "out", "test", x);
        return b.Build(x);
    }

    public static IEnumerable<object[]> Networks() => new[] { "conv", "mixed", "leaky", "pool" }.Select(n => new object[] { n });

    static ComputationGraph Network(string name) => name switch
    {
        "conv" => Certify.Tests.Bounds.TestNetworks.ConvNet(3),
        "mixed" => MixedConvNet(4),
        "pool" => PoolingNet(6),
        _ => Certify.Tests.Bounds.TestNetworks.Mlp(() => new LeakyReluOp(0.1), 5, width: 12, layers: 3, inputs: 4, outputs: 3),
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void The_plain_network_computes_what_the_graph_computes_and_its_bounds_contain_every_sampled_value(string name)
    {
        var graph = Network(name).To(ScalarType.Float64);
        using var scope = NewDisposeScope();
        var net = CheckerInputs.Network(graph);
        // The same function: the plain network against the graph at random points.
        var points = randn(50, graph.InputSize, dtype: ScalarType.Float64, generator: manual_seed(9));
        var ys = graph.Forward(points).reshape(50, -1);
        for (int k = 0; k < 50; k++)
        {
            var mine = net.Run(points[k].data<double>().ToArray());
            var theirs = ys[k].data<double>().ToArray();
            for (int i = 0; i < mine.Length; i++)
                Assert.True(Math.Abs(mine[i] - theirs[i]) <= 1e-9 * (1 + Math.Abs(theirs[i])), $"sample {k} output {i}: {mine[i]} vs {theirs[i]}");
        }
        long n = graph.InputSize;
        var centre = randn(n, dtype: ScalarType.Float64, generator: manual_seed(11)).data<double>().ToArray();
        var lo = centre.Select(v => v - 0.15).ToArray(); var hi = centre.Select(v => v + 0.15).ToArray();
        var own = CertificateChecker.OwnBounds(net, lo, hi);
        var nonlinear = graph.Nodes.Where(node => CheckerInputs.NegativeSlope(node.Op) is not null).ToArray();
        Assert.Equal(nonlinear.Length, own.Length);
        // Corners and uniform points of the box: none escapes, and the bounds are not vacuous.
        var u = rand(3000, n, dtype: ScalarType.Float64, generator: manual_seed(12));
        u = where(u.lt(0.1), zeros_like(u), where(u.gt(0.9), ones_like(u), u));
        var xs = tensor(lo).unsqueeze(0) + u * (tensor(hi) - tensor(lo)).unsqueeze(0);
        var all = graph.ForwardAll(xs);
        for (int l = 0; l < nonlinear.Length; l++)
        {
            var z = all[nonlinear[l].Inputs[0]]!.reshape(3000, -1);
            var zl = tensor(own[l].Lo).unsqueeze(0); var zu = tensor(own[l].Hi).unsqueeze(0);
            Assert.True(z.ge(zl).all().item<bool>() && z.le(zu).all().item<bool>(), $"{name}: a sample escapes the bounds of {nonlinear[l].Name}");
            Assert.All(own[l].Lo.Zip(own[l].Hi), p => Assert.True(double.IsFinite(p.First) && double.IsFinite(p.Second)));
        }
    }

    [Fact]
    public void Operators_without_a_rule_are_named_not_checkable()
    {
        // Pad, grouped Conv and AvgPool have rules; Tanh, the first one met without, is named.
        Assert.Equal("not checkable: Tanh (node 'tanh') has no rule in the checker", CheckerInputs.NotCheckable(Certify.Tests.Bounds.TestNetworks.PoolNet(1)));
        var leakyAboveOne = Certify.Tests.Bounds.TestNetworks.Mlp(() => new LeakyReluOp(1.5), 1, width: 3, layers: 1, inputs: 2, outputs: 2);
        Assert.StartsWith("not checkable: LeakyRelu (node 'act0')", CheckerInputs.NotCheckable(leakyAboveOne));
    }

    [Theory]
    [InlineData(SplitStrategy.InputSplit)]
    [InlineData(SplitStrategy.NeuronSplit)]
    public void A_leaky_relu_proof_is_accepted_and_a_slope_below_alpha_is_rejected(SplitStrategy strategy)
    {
        var (model, property) = Files("leaky", seed => Certify.Tests.Bounds.TestNetworks.Mlp(() => new LeakyReluOp(0.1), seed, width: 10, layers: 2, inputs: 2, outputs: 3),
            CertificateFixture.HardProperty);
        var path = Path.Combine(_folder, $"leaky-{strategy}.json");
        var report = CertificateFixture.Verify(model, property, path, strategy: strategy);
        output.WriteLine($"{report.Verdict}; {report.Certificate}");
        Assert.Equal(VerdictKind.Unsat, report.Verdict.Kind);
        var r = CertificateFiles.Check(model, property, path, parallelism: 1);
        output.WriteLine(r.ToString());
        Assert.True(r.Accepted, r.Message);
        var c = Certificate.Load(path);
        Assert.True(c.Regions[0].Nodes.Count > 1, "the proof should need splits");
        var nodes = c.Regions[0].Nodes.ToList();
        int i = nodes.FindIndex(n => n.Leaf is not null);
        var slopes = new[] { c.Nonlinear.Select(n => (double[]?)Enumerable.Repeat(0.5, n.Size).ToArray()).ToArray() };
        slopes[0][0]![2] = 0.05;   // a line through the origin below slope alpha is above the function left of 0
        nodes[i] = new ProofNode(Leaf: nodes[i].Leaf! with { Slopes = slopes });
        var tampered = Path.Combine(_folder, $"leaky-{strategy}-slope.json");
        (c with { Regions = new[] { c.Regions[0] with { Nodes = nodes } } }).Save(tampered);
        r = CertificateFiles.Check(model, property, tampered, parallelism: 1);
        output.WriteLine(r.ToString());
        Assert.False(r.Accepted);
        Assert.Contains($"leaf at node {i}", r.Message);
        Assert.Contains("neuron 2: slope 0.05 is outside", r.Message);
    }

    [Theory]
    [InlineData("conv")]
    [InlineData("pool")]
    public void A_conv_net_proof_is_accepted(string name)
    {
        // The unsafe threshold sits between the root bound L and the sampled minimum m of c·y over a small box: tried at
        // L + f·(m − L) for shrinking f until neuron-split branch and bound proves it (within its domain budget), else just
        // below L (proven at the root: a one-leaf certificate).
        var graph = (name == "conv" ? Certify.Tests.Bounds.TestNetworks.ConvNet(2) : PoolingNet(7)).To(ScalarType.Float32);
        using var scope = NewDisposeScope();
        long n = graph.InputSize;
        var centre = (rand(n, dtype: ScalarType.Float64, generator: manual_seed(3)) - 0.5).data<double>().ToArray();
        var lo = centre.Select(v => v - 0.03).ToArray(); var hi = centre.Select(v => v + 0.03).ToArray();
        var cRow = new[] { 1.0, -1.0, 0 };
        var g64 = graph.To(ScalarType.Float64);
        var xs = tensor(lo).unsqueeze(0) + rand(4000, n, dtype: ScalarType.Float64, generator: manual_seed(4)) * (tensor(hi) - tensor(lo)).unsqueeze(0);
        double m = matmul(g64.Forward(xs).reshape(4000, -1), tensor(cRow)).min().item<double>();
        Specification Spec(double d) => new(new[] { new InputRegion(lo, hi, new OutputCondition(new[] { new Conjunction(new[] { new HalfSpace(cRow, d) }) })) }, (int)n, 3);
        var engine = new Certify.Bounds.BoundEngine(g64, new Certify.Bounds.BoundOptions { DType = ScalarType.Float64 });
        double root;
        using (var r0 = engine.Compute(Spec(0).Regions[0])) root = r0.Lower[0, 0].item<double>();
        var model = Path.Combine(_folder, $"{name}.onnx");
        OnnxExporter.Export(graph, model);
        foreach (double f in (name == "conv" ? new[] { 0.1, 0.03 } : new[] { 0.01, 0.003 }).Append(double.NaN))
        {
            double d = double.IsNaN(f) ? root - 0.01 * (1 + Math.Abs(root)) : root + f * (m - root);
            var property = Path.Combine(_folder, $"{name}-{f}.vnnlib");
            VnnLibWriter.Write(Spec(d), property);
            var path = Path.Combine(_folder, $"{name}-{f}.json");
            // MaxPool's optimised window weights have no field in the certificate: a pooling net's proof is checkable by CROWN.
            var method = name == "pool" ? Certify.Bounds.BoundMethod.Crown : (Certify.Bounds.BoundMethod?)null;
            var report = CertificateFixture.Verify(model, property, path, strategy: SplitStrategy.NeuronSplit, maxDomains: 3000, method: method);
            output.WriteLine($"f = {f}: {report.Verdict}; {report.Certificate}");
            if (report.Verdict.Kind != VerdictKind.Unsat) continue;
            if (name == "pool")
            {
                var beta = CertificateFixture.Verify(model, property, Path.Combine(_folder, "pool-beta.json"), strategy: SplitStrategy.NeuronSplit, maxDomains: 3000);
                output.WriteLine($"beta-CROWN: {beta.Verdict}; {beta.Certificate}");
                // Without a method the root's CROWN may prove it (a checkable one-leaf certificate); a proof that used
                // alpha-CROWN's pooling weights must say so instead of writing a certificate that cannot pass.
                if (beta.Verdict.Kind == VerdictKind.Unsat && beta.Certificate!.StartsWith("written", StringComparison.Ordinal))
                    Assert.True(CertificateFiles.Check(model, property, Path.Combine(_folder, "pool-beta.json"), parallelism: 1).Accepted);
                else if (beta.Verdict.Kind == VerdictKind.Unsat)
                    Assert.StartsWith("not checkable: optimised relaxation parameters of MaxPool", beta.Certificate);
            }
            var r = CertificateFiles.Check(model, property, path, parallelism: 1);
            output.WriteLine(r.ToString());
            Assert.True(r.Accepted, r.Message);
            return;
        }
        Assert.Fail("even the root-provable property was not proven");
    }

    /// <summary>ONNX and VNNLIB files of the first seed whose network gets a property from <paramref name="property"/>.</summary>
    (string Model, string Property) Files(string name, Func<int, ComputationGraph> network, Func<ComputationGraph, int, Specification?> property)
    {
        for (int seed = 1; ; seed++)
        {
            var graph = network(seed).To(ScalarType.Float32);
            using var scope = NewDisposeScope();
            if (property(graph, seed) is not { } spec) continue;
            var model = Path.Combine(_folder, $"{name}.onnx");
            var prop = Path.Combine(_folder, $"{name}.vnnlib");
            OnnxExporter.Export(graph, model);
            VnnLibWriter.Write(spec, prop);
            return (model, prop);
        }
    }
}

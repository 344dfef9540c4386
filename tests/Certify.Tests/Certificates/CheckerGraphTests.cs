using Certify.Bounds;
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
/// The checker on graphs that are not chains and on its row-wise linear rules: a residual block (two convolution
/// branches added), constant padding, average pooling with and without the padding counted, a concatenation, against the
/// graph's own forward pass and against sampling (no value escapes the checker's bounds), against Certify's CROWN (about
/// as tight), end to end (the engine's proof with a certificate is accepted), and under tampering (another convolution
/// weight, or the residual edge moved, is rejected naming where). Work budgets only.
/// </summary>
[Collection(SequentialRandomCollection.Name)]
public sealed class CheckerGraphTests(ITestOutputHelper output) : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("certify-graph-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    /// <summary>
    /// Conv → ReLU → Conv, plus a 1×1 Conv shortcut from the input (or, with <paramref name="shortcutFromFirstConv"/>, from
    /// the first Conv's output: the residual edge moved), Add → ReLU → Pad(0.5) → two AvgPools (3×3 not counting the pad,
    /// 2×2 counting it) → Concat → ReLU → flatten → Linear.
    /// </summary>
    public static ComputationGraph ResidualNet(int seed, bool shortcutFromFirstConv = false, double weightChange = 0)
    {
        var g = manual_seed(seed);
        Tensor W(params long[] shape) => randn(shape, ScalarType.Float64, generator: g) / Math.Sqrt(shape.Skip(1).Aggregate(1L, (a, b) => a * b)) * 1.2;
        var b = new GraphBuilder(new long[] { 2, 6, 6 });
        var k1 = W(3, 2, 3, 3);
        if (weightChange != 0) k1[0, 0, 1, 1] += weightChange;
        int c1 = b.Add(new ConvOp(k1, W(3) * 0.3, new long[] { 1, 1 }, new long[] { 1, 1, 1, 1 }, new long[] { 1, 1 }, 1), "conv1", "test", 0);
        int r1 = b.Add(new ReluOp(), "relu1", "test", c1);
        int c2 = b.Add(new ConvOp(W(3, 3, 3, 3), W(3) * 0.3, new long[] { 1, 1 }, new long[] { 1, 1, 1, 1 }, new long[] { 1, 1 }, 1), "conv2", "test", r1);
        int shortcut = shortcutFromFirstConv
            ? b.Add(new ConvOp(W(3, 3, 1, 1), null, new long[] { 1, 1 }, new long[] { 0, 0, 0, 0 }, new long[] { 1, 1 }, 1), "shortcut", "test", c1)
            : b.Add(new ConvOp(W(3, 2, 1, 1), null, new long[] { 1, 1 }, new long[] { 0, 0, 0, 0 }, new long[] { 1, 1 }, 1), "shortcut", "test", 0);
        int add = b.Add(new AddOp(), "add", "test", c2, shortcut);
        int r2 = b.Add(new ReluOp(), "relu2", "test", add);
        int pad = b.Add(new PadOp(new long[] { 0, 1, 1, 0, 0, 0 }, 0.5), "pad", "test", r2);                         // [3, 7, 7]
        int avg3 = b.Add(new AvgPoolOp(new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1 }, false, false), "avg3", "test", pad);   // [3, 4, 4]
        int avg2 = b.Add(new AvgPoolOp(new long[] { 2, 2 }, new long[] { 2, 2 }, new long[] { 1, 1 }, true, false), "avg2", "test", pad);    // [3, 4, 4]
        int cat = b.Add(new ConcatOp(0), "cat", "test", avg3, avg2);                                                  // [6, 4, 4]
        int r3 = b.Add(new ReluOp(), "relu3", "test", cat);
        long n = b.Nodes[r3].Shape.Aggregate(1L, (p, q) => p * q);
        int flat = b.Add(new ReshapeOp(new[] { n }), "flat", "test", r3);
        int o = b.Add(new LinearOp(W(3, n), W(3) * 0.3), "out", "test", flat);
        return b.Build(o);
    }

    static (double[] Lo, double[] Hi) Box(long n, int seed, double radius)
    {
        var centre = (rand(n, dtype: ScalarType.Float64, generator: manual_seed(seed)) - 0.5).data<double>().ToArray();
        return (centre.Select(v => v - radius).ToArray(), centre.Select(v => v + radius).ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void The_residual_network_is_read_as_the_graph_computes_and_no_sample_escapes_the_checkers_bounds(int seed)
    {
        var graph = ResidualNet(seed);
        using var scope = NewDisposeScope();
        var net = CheckerInputs.Network(graph);
        Assert.False(net.IsChain);
        Assert.Contains(net.Steps, s => s is SumStep); Assert.Contains(net.Steps, s => s is ConvStep); Assert.Contains(net.Steps, s => s is AvgPoolStep);
        // The same function as the graph at random points (Pad's constant, both pooling divisors, the concatenation order).
        var points = randn(40, graph.InputSize, dtype: ScalarType.Float64, generator: manual_seed(seed + 20));
        var ys = graph.Forward(points).reshape(40, -1);
        for (int k = 0; k < 40; k++)
        {
            var mine = net.Run(points[k].data<double>().ToArray());
            var theirs = ys[k].data<double>().ToArray();
            for (int i = 0; i < mine.Length; i++)
                Assert.True(Math.Abs(mine[i] - theirs[i]) <= 1e-9 * (1 + Math.Abs(theirs[i])), $"sample {k} output {i}: {mine[i]} vs {theirs[i]}");
        }
        // Brute force: corners and uniform points of the box, float64; every ReLU input stays inside the checker's bounds.
        var (lo, hi) = Box(graph.InputSize, seed + 30, 0.2);
        var own = CertificateChecker.OwnBounds(net, lo, hi);
        var relus = graph.Nodes.Where(node => node.Op is ReluOp).ToArray();
        Assert.Equal(relus.Length, own.Length);
        long n = graph.InputSize;
        var u = rand(4000, n, dtype: ScalarType.Float64, generator: manual_seed(seed + 40));
        u = where(u.lt(0.15), zeros_like(u), where(u.gt(0.85), ones_like(u), u));
        var xs = tensor(lo).unsqueeze(0) + u * (tensor(hi) - tensor(lo)).unsqueeze(0);
        var all = graph.ForwardAll(xs);
        for (int l = 0; l < relus.Length; l++)
        {
            var z = all[relus[l].Inputs[0]]!.reshape(4000, -1);
            var zl = tensor(own[l].Lo).unsqueeze(0); var zu = tensor(own[l].Hi).unsqueeze(0);
            Assert.True(z.ge(zl).all().item<bool>() && z.le(zu).all().item<bool>(), $"a sample escapes the checker's bounds of {relus[l].Name}");
            // Not vacuous: each bound is within a few times the sampled range (the samples reach into the box's corners).
            double sampled = (z.max(0).values - z.min(0).values).max().item<double>();
            double width = own[l].Hi.Zip(own[l].Lo, (a, b) => a - b).Max();
            output.WriteLine($"{relus[l].Name}: widest checker bound {width:G4}, widest sampled range {sampled:G4}");
            Assert.True(width <= 20 * sampled + 1e-9, $"{relus[l].Name}: the checker's bounds are vacuous ({width} against {sampled} sampled)");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void The_checkers_bounds_on_the_residual_network_are_about_as_tight_as_crown(int seed)
    {
        var graph = ResidualNet(seed);
        using var scope = NewDisposeScope();
        var net = CheckerInputs.Network(graph);
        var (lo, hi) = Box(graph.InputSize, seed + 30, 0.2);
        var own = CertificateChecker.OwnBounds(net, lo, hi);
        var engine = new BoundEngine(graph, new BoundOptions { DType = ScalarType.Float64 });
        using var r = engine.Compute(new InputRegion(lo, hi, new OutputCondition(new[] { new Conjunction(new[] { new HalfSpace(new double[3], 0) }) })));
        var relus = graph.Nodes.Where(node => node.Op is ReluOp).ToArray();
        for (int l = 0; l < relus.Length; l++)
        {
            var iv = r.Node(relus[l].Inputs[0])!.Value;
            var el = iv.Lower.reshape(-1).data<double>().ToArray(); var eu = iv.Upper.reshape(-1).data<double>().ToArray();
            double worst = 0;
            for (int j = 0; j < el.Length; j++)
                worst = Math.Max(worst, Math.Max(el[j] - own[l].Lo[j], own[l].Hi[j] - eu[j]) / (1 + eu[j] - el[j]));
            output.WriteLine($"{relus[l].Name}: checker looser than CROWN by at most {worst:G3} of the width");
            Assert.True(worst <= 1e-6, $"{relus[l].Name}: the checker is looser than CROWN by {worst} of a bound's width");
        }
    }

    /// <summary>
    /// The residual network's ONNX file and a property it satisfies that needs a real proof: the threshold lies between the
    /// root CROWN bound and the sampled minimum of y_0 − y_1 over a small box, tried closer to the sampled minimum first.
    /// </summary>
    (string Model, string Property, string Certificate, VerificationReport Report) Proved(int seed)
    {
        var graph = ResidualNet(seed).To(ScalarType.Float32);
        using var scope = NewDisposeScope();
        var g64 = graph.To(ScalarType.Float64);
        long n = graph.InputSize;
        var (lo, hi) = Box(n, seed + 30, 0.05);
        var cRow = new[] { 1.0, -1.0, 0 };
        var xs = tensor(lo).unsqueeze(0) + rand(4000, n, dtype: ScalarType.Float64, generator: manual_seed(seed + 50)) * (tensor(hi) - tensor(lo)).unsqueeze(0);
        double m = matmul(g64.Forward(xs).reshape(4000, -1), tensor(cRow)).min().item<double>();
        Specification Spec(double d) => new(new[] { new InputRegion(lo, hi, new OutputCondition(new[] { new Conjunction(new[] { new HalfSpace(cRow, d) }) })) }, (int)n, 3);
        double root;
        using (var r0 = new BoundEngine(g64, new BoundOptions { DType = ScalarType.Float64 }).Compute(Spec(0).Regions[0])) root = r0.Lower[0, 0].item<double>();
        var model = Path.Combine(_folder, $"residual-{seed}.onnx");
        OnnxExporter.Export(graph, model);
        foreach (double f in new[] { 0.1, 0.03, double.NaN })
        {
            double d = double.IsNaN(f) ? root - 0.01 * (1 + Math.Abs(root)) : root + f * (m - root);
            var property = Path.Combine(_folder, $"residual-{seed}-{f}.vnnlib");
            VnnLibWriter.Write(Spec(d), property);
            var path = Path.Combine(_folder, $"residual-{seed}-{f}.json");
            var report = CertificateFixture.Verify(model, property, path, strategy: SplitStrategy.NeuronSplit, maxDomains: 2000);
            output.WriteLine($"f = {f}: {report.Verdict}; {report.Certificate}");
            if (report.Verdict.Kind == VerdictKind.Unsat) return (model, property, path, report);
        }
        throw new InvalidOperationException("even the root-provable property was not proven");
    }

    [Fact]
    public void A_residual_pooling_network_proof_is_accepted_and_a_changed_weight_or_a_moved_residual_edge_is_rejected()
    {
        var (model, property, path, report) = Proved(2);
        Assert.StartsWith("written", report.Certificate);
        var r = CertificateFiles.Check(model, property, path, parallelism: 1);
        output.WriteLine(r.ToString());
        Assert.True(r.Accepted, r.Message);
        var c = Certificate.Load(path);
        Assert.Equal(3, c.Nonlinear.Count);   // the three ReLUs (the exporter renames nodes)

        // The same certificate for a network with one convolution weight changed, or with the shortcut reading the first
        // convolution's output instead of the input: the hash is forged to match, so only the bounds can tell.
        foreach (var (name, other) in new[] { ("weight", ResidualNet(2, weightChange: 0.5)), ("edge", ResidualNet(2, shortcutFromFirstConv: true)) })
        {
            using var scope = NewDisposeScope();
            var otherModel = Path.Combine(_folder, $"residual-{name}.onnx");
            OnnxExporter.Export(other.To(ScalarType.Float32), otherModel);
            var forged = Path.Combine(_folder, $"residual-{name}.json");
            (c with { Network = new FileHash(Path.GetFileName(otherModel), CheckerInputs.Sha256(otherModel)) }).Save(forged);
            var t = CertificateFiles.Check(otherModel, property, forged, parallelism: 1);
            output.WriteLine($"{name}: {t}");
            Assert.False(t.Accepted);
            Assert.Contains("leaf at node", t.Message);
            Assert.Matches(@"node \S+ neuron \d+: claimed|disjunct 0: row 0 is not refuted", t.Message);
        }
    }
    [Fact]
    public void A_relu_on_a_reshaped_tensor_gets_a_certificate_that_is_accepted()
    {
        // Linear → Reshape [2, 4] → ReLU → Reshape [8] → Linear: the ReLU's input is a Reshape node, which the checker reads
        // as the Linear's output (the same flat values), and a threshold just below the root bound (a one-leaf proof).
        var g = manual_seed(8);
        var b = new GraphBuilder(new long[] { 4 });
        int x = b.Add(new LinearOp(randn(new long[] { 8, 4 }, ScalarType.Float64, generator: g), randn(new long[] { 8 }, ScalarType.Float64, generator: g)), "fc1", "test", 0);
        x = b.Add(new ReshapeOp(new long[] { 2, 4 }), "grid", "test", x);
        x = b.Add(new ReluOp(), "relu", "test", x);
        x = b.Add(new ReshapeOp(new long[] { 8 }), "flat", "test", x);
        x = b.Add(new LinearOp(randn(new long[] { 3, 8 }, ScalarType.Float64, generator: g), null), "out", "test", x);
        var graph = b.Build(x).To(ScalarType.Float32);
        using var scope = NewDisposeScope();
        double[] lo = { -0.2, -0.1, 0, 0.1 }, hi = { 0, 0.1, 0.2, 0.3 }, cRow = { 1, -1, 0 };
        Specification Spec(double d) => new(new[] { new InputRegion(lo, hi, new OutputCondition(new[] { new Conjunction(new[] { new HalfSpace(cRow, d) }) })) }, 4, 3);
        double root;
        using (var r0 = new BoundEngine(graph.To(ScalarType.Float64), new BoundOptions { DType = ScalarType.Float64 }).Compute(Spec(0).Regions[0])) root = r0.Lower[0, 0].item<double>();
        var model = Path.Combine(_folder, "reshaped.onnx");
        var property = Path.Combine(_folder, "reshaped.vnnlib");
        OnnxExporter.Export(graph, model);
        VnnLibWriter.Write(Spec(root - 0.01 * (1 + Math.Abs(root))), property);
        var path = Path.Combine(_folder, "reshaped.json");
        var report = CertificateFixture.Verify(model, property, path);
        output.WriteLine($"{report.Verdict}; {report.Certificate}");
        Assert.Equal(VerdictKind.Unsat, report.Verdict.Kind);
        Assert.StartsWith("written", report.Certificate);
        var r = CertificateFiles.Check(model, property, path, parallelism: 1);
        output.WriteLine(r.ToString());
        Assert.True(r.Accepted, r.Message);
    }
}

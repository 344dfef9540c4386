using Certify.Bounds;
using Certify.Graph;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Tests.Bounds;

/// <summary>Soundness (brute force), exactness and ordering of IBP, CROWN and alpha-CROWN on hand-built networks.</summary>
public class BoundEngineTests
{
    static readonly BoundMethod[] Methods = { BoundMethod.Ibp, BoundMethod.Crown, BoundMethod.AlphaCrown };

    static (Tensor L, Tensor U) Box(long n, int seed, double radius = 0.6)
    {
        var g = manual_seed(seed);
        var c = randn(new[] { 1, n }, ScalarType.Float64, generator: g) * 0.5;
        return (c - radius, c + radius);
    }

    static Tensor RandomSpec(long rows, long outputs, int seed) =>
        randn(new[] { rows, outputs }, ScalarType.Float64, generator: manual_seed(seed));

    /// <summary>Runs every method on the network and asserts no sampled point escapes any bound.</summary>
    /// <remarks>
    /// In float32 (the dtype branch and bound searches in) a point may escape by float32 rounding of the network itself,
    /// so the tolerance is 1e-4 there; real unsoundness is far larger (the libtorch conv_transpose bug that
    /// <see cref="TransposedConvolution"/> works around gave escapes of order 1).
    /// </remarks>
    static void AssertSound(ComputationGraph graph, int seed, double radius = 0.6, int samples = 3000, ScalarType dtype = ScalarType.Float64)
    {
        var (l, u) = Box(graph.InputSize, seed, radius);
        var c = RandomSpec(4, graph.OutputSize, seed + 1);
        var pts = BruteForce.Points(l, u, samples, seed + 2);
        double tolerance = dtype == ScalarType.Float64 ? 1e-9 : 1e-4;
        foreach (var m in Methods)
        {
            var engine = new BoundEngine(graph, new BoundOptions { Method = m, DType = dtype });
            using var r = engine.Compute(l, u, c);
            Assert.False(r.Lower.isnan().any().item<bool>(), $"{m}: NaN bound");
            Assert.True((r.Lower <= r.Upper + tolerance).all().item<bool>(), $"{m}: lower above upper");
            double v = BruteForce.MaxViolation(graph, r, pts, c);
            Assert.True(v <= tolerance, $"{m} ({dtype}): a sampled point escapes a bound by {v}");
        }
    }

    public static TheoryData<string> ActivationNames() => new(TestNetworks.Activations().Select(a => a.Name));

    [Theory]
    [MemberData(nameof(ActivationNames))]
    public void Mlp_bounds_contain_every_sampled_point_for_each_activation(string name)
    {
        var make = TestNetworks.Activations().First(a => a.Name == name).Make;
        for (int seed = 0; seed < 3; seed++) AssertSound(TestNetworks.Mlp(make, 10 + seed), 100 + seed);
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void Conv_network_bounds_contain_every_sampled_point(ScalarType dtype) => AssertSound(TestNetworks.ConvNet(3), 7, 0.3, 2000, dtype);

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void Pooling_network_bounds_contain_every_sampled_point(ScalarType dtype) => AssertSound(TestNetworks.PoolNet(4), 8, 0.3, 2000, dtype);

    [Fact]
    public void Float32_transposed_convolution_agrees_with_float64_on_batches()
    {
        // Guards the libtorch float32 conv_transpose bug: batches of more than one sample came out wrong.
        var g = manual_seed(5);
        // The shapes of the soundness benchmark's CNN adjoint (8 channels back to 1, 2x2 kernel, stride 1), which failed.
        var w = randn(new long[] { 8, 1, 2, 2 }, ScalarType.Float64, generator: g);
        var a = randn(new long[] { 16, 8, 2, 2 }, ScalarType.Float64, generator: g);
        long[] one = { 1, 1 }, none = { 0, 0 };
        var exact = nn.functional.conv_transpose2d(a, w, null, one, none, none, one, 1);
        var f32 = TransposedConvolution.Apply2d(a.to_type(ScalarType.Float32), w.to_type(ScalarType.Float32), null, one, none, none, one, 1);
        Assert.Equal(ScalarType.Float32, f32.dtype);
        double err = (f32.to_type(ScalarType.Float64) - exact).abs().max().item<double>();
        Assert.True(err < 1e-4, $"float32 transposed convolution differs from float64 by {err}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Wiring_network_bounds_contain_every_sampled_point(bool softmax)
    {
        for (int seed = 0; seed < 3; seed++) AssertSound(TestNetworks.WiringNet(20 + seed, softmax), 30 + seed);
    }

    [Theory]
    [InlineData("relu")]
    [InlineData("sigmoid")]
    [InlineData("softmax")]
    public void Forward_mode_row_bounds_contain_every_sampled_point(string kind)
    {
        // The branching look-ahead compares splits by these bounds and carries them as proven margins: they must be sound.
        // Sigmoid goes through its relaxation's lines, softmax (no linear forward rule) through its interval constants.
        for (int seed = 0; seed < 4; seed++)
        {
            var graph = kind switch
            {
                "relu" => TestNetworks.Mlp(() => new ReluOp(), 40 + seed, width: 12, layers: 3, inputs: 4),
                "sigmoid" => TestNetworks.Mlp(() => new SigmoidOp(), 40 + seed, width: 12, layers: 3, inputs: 4),
                _ => TestNetworks.WiringNet(40 + seed, softmax: true),
            };
            var (l, u) = Box(graph.InputSize, 50 + seed, 0.5);
            var c = RandomSpec(5, graph.OutputSize, 60 + seed);
            var engine = new BoundEngine(graph, new BoundOptions { Method = BoundMethod.Crown, DType = ScalarType.Float64 });
            var forward = engine.ForwardLowerBounds(l, u, c);
            Assert.NotNull(forward);
            var pts = BruteForce.Points(l, u, 4000, 70 + seed);
            var sampledMin = matmul(graph.Forward(pts).reshape(pts.shape[0], -1), c.t()).amin(new long[] { 0 });   // [S]
            double escape = (forward![0] - sampledMin).max().item<double>();
            Assert.True(escape <= 1e-9, $"seed {seed}: a sampled point is below the forward-mode bound by {escape}");
            Assert.True(forward[0].isfinite().all().item<bool>());
        }
    }

    [Fact]
    public void Crown_is_exact_on_an_affine_network()
    {
        var g = manual_seed(5);
        var b = new GraphBuilder(new long[] { 5 });
        int x = b.Add(new LinearOp(randn(new long[] { 7, 5 }, ScalarType.Float64, generator: g), randn(new long[] { 7 }, ScalarType.Float64, generator: g)), "a", "t", 0);
        x = b.Add(new AffineOp(randn(new long[] { 7 }, ScalarType.Float64, generator: g), null), "s", "t", x);
        x = b.Add(new LinearOp(randn(new long[] { 3, 7 }, ScalarType.Float64, generator: g), null), "c", "t", x);
        var graph = b.Build(x);
        var (l, u) = Box(5, 6);
        var engine = new BoundEngine(graph, new BoundOptions { Method = BoundMethod.Crown, DType = ScalarType.Float64 });
        using var r = engine.Compute(l, u);
        // Exact range of an affine map over a box: the composed matrix M, M·centre ± |M|·radius.
        var m = graph.Forward(eye(5, dtype: ScalarType.Float64)) - graph.Forward(zeros(1, 5, dtype: ScalarType.Float64)); // [5, 3]
        var centre = graph.Forward((l + u) / 2);
        var rad = matmul((u - l) / 2, m.abs());
        Assert.True((r.Lower - (centre - rad)).abs().max().item<double>() < 1e-9);
        Assert.True((r.Upper - (centre + rad)).abs().max().item<double>() < 1e-9);
    }

    [Fact]
    public void Crown_is_tighter_than_ibp_and_alpha_crown_never_looser_than_crown()
    {
        for (int seed = 0; seed < 4; seed++)
        {
            var graph = TestNetworks.Mlp(() => new ReluOp(), 40 + seed, width: 16, layers: 3);
            var (l, u) = Box(graph.InputSize, 50 + seed);
            var c = RandomSpec(5, graph.OutputSize, 60 + seed);
            BoundResult Run(BoundMethod m) => new BoundEngine(graph, new BoundOptions { Method = m, DType = ScalarType.Float64 }).Compute(l, u, c);
            using var ibp = Run(BoundMethod.Ibp);
            using var crown = Run(BoundMethod.Crown);
            using var alpha = Run(BoundMethod.AlphaCrown);
            double wi = (ibp.Upper - ibp.Lower).mean().item<double>(), wc = (crown.Upper - crown.Lower).mean().item<double>();
            Assert.True(wc < wi, $"CROWN mean width {wc} not below IBP {wi}");
            Assert.True((alpha.Lower >= crown.Lower).all().item<bool>(), "alpha-CROWN lower bound below CROWN's");
            Assert.True((alpha.Upper <= crown.Upper).all().item<bool>(), "alpha-CROWN upper bound above CROWN's");
            Assert.NotNull(alpha.Alphas);
        }
    }

    [Fact]
    public void Alpha_crown_improves_some_row_on_a_deep_relu_network()
    {
        var graph = TestNetworks.Mlp(() => new ReluOp(), 77, width: 32, layers: 4);
        var (l, u) = Box(graph.InputSize, 78, 1.0);
        var c = RandomSpec(6, graph.OutputSize, 79);
        using var crown = new BoundEngine(graph, new BoundOptions { Method = BoundMethod.Crown, DType = ScalarType.Float64 }).Compute(l, u, c);
        using var alpha = new BoundEngine(graph, new BoundOptions { Method = BoundMethod.AlphaCrown, DType = ScalarType.Float64 }).Compute(l, u, c);
        double gain = (alpha.Lower - crown.Lower).max().item<double>();
        Assert.True(gain > 1e-6, $"alpha-CROWN did not improve any lower bound (gain {gain})");
    }

    [Fact]
    public void A_batch_of_boxes_gives_the_bounds_of_each_box_alone()
    {
        var graph = TestNetworks.Mlp(() => new ReluOp(), 90, width: 12, layers: 3);
        var (l1, u1) = Box(graph.InputSize, 91, 0.3);
        var (l2, u2) = Box(graph.InputSize, 92, 0.8);
        var c = RandomSpec(4, graph.OutputSize, 93);
        foreach (var m in Methods)
        {
            var engine = new BoundEngine(graph, new BoundOptions { Method = m, DType = ScalarType.Float64 });
            using var both = engine.Compute(cat(new[] { l1, l2 }), cat(new[] { u1, u2 }), c);
            using var one = engine.Compute(l1, u1, c);
            using var two = engine.Compute(l2, u2, c);
            // Each sub-problem refines its own neurons, so batching changes nothing (Adam is elementwise too).
            double d1 = Math.Max((both.Lower[0] - one.Lower[0]).abs().max().item<double>(), (both.Upper[0] - one.Upper[0]).abs().max().item<double>());
            double d2 = Math.Max((both.Lower[1] - two.Lower[0]).abs().max().item<double>(), (both.Upper[1] - two.Upper[0]).abs().max().item<double>());
            Assert.True(d1 < 1e-9 && d2 < 1e-9, $"{m}: batched bounds differ from single ones by {Math.Max(d1, d2)}");
            var pts = BruteForce.Points(l2, u2, 1000, 94);
            Assert.True(BruteForce.MaxViolation(graph, both, pts, c, b: 1) <= 1e-9, $"{m}: batched bound unsound");
        }
    }

    [Fact]
    public void Relu_splits_clip_the_bounds_and_stay_sound_on_the_split_region()
    {
        var graph = TestNetworks.Mlp(() => new ReluOp(), 100, width: 8, layers: 2);
        var (l, u) = Box(graph.InputSize, 101, 1.0);
        var c = RandomSpec(3, graph.OutputSize, 102);
        var engine = new BoundEngine(graph, new BoundOptions { Method = BoundMethod.Crown, DType = ScalarType.Float64 });
        using var plain = engine.Compute(l, u, c);
        int relu = graph.Nodes.First(n => n.Op is ReluOp).Id;
        int pre = graph.Nodes[relu].Inputs[0];
        var unstable = ((plain.Node(pre)!.Value.Lower < 0) & (plain.Node(pre)!.Value.Upper > 0))[0].nonzero().flatten();
        Assert.True(unstable.shape[0] >= 2, "test network has too few unstable neurons");
        long i0 = unstable[0].item<long>(), i1 = unstable[1].item<long>();
        var split = zeros(1, graph.Nodes[relu].Size, dtype: ScalarType.Int8);
        split[0, i0] = (sbyte)1; split[0, i1] = (sbyte)(-1);
        // Two sub-problems: the split one and the unsplit one (splits all 0).
        var splits = cat(new[] { split, zeros_like(split) });
        using var r = engine.Compute(cat(new[] { l, l }), cat(new[] { u, u }), c, new SubproblemInputs { Splits = new Dictionary<int, Tensor> { [relu] = splits } });
        var pb = r.Node(pre)!.Value;
        Assert.True(pb.Lower[0, i0].item<double>() >= 0 && pb.Upper[0, i1].item<double>() <= 0);
        Assert.True((r.Lower[0] >= r.Lower[1] - 1e-9).all().item<bool>(), "a split sub-problem got a looser bound");
        var pts = BruteForce.Points(l, u, 20000, 103);
        double v = BruteForce.MaxViolation(graph, r, pts, c, b: 0, keep: vals => (vals[pre][.., i0] >= 0) & (vals[pre][.., i1] <= 0));
        Assert.True(v <= 1e-9, $"split bounds escaped by {v}");
    }

    [Fact]
    public void Known_bounds_are_reused_instead_of_recomputed()
    {
        var graph = TestNetworks.Mlp(() => new ReluOp(), 110, width: 8, layers: 3);
        var (l, u) = Box(graph.InputSize, 111);
        var engine = new BoundEngine(graph, new BoundOptions { Method = BoundMethod.Crown, DType = ScalarType.Float64 });
        using var first = engine.Compute(l, u);
        int pre = graph.Nodes.First(n => n.Op is ReluOp).Inputs[0];
        // Give a deliberately wider box for the first pre-activation: the result must use it (and get looser).
        var known = first.Node(pre)!.Value;
        var wide = new Interval(known.Lower - 1, known.Upper + 1);
        using var second = engine.Compute(l, u, null, new SubproblemInputs { KnownBounds = new Dictionary<int, Interval> { [pre] = wide } });
        Assert.True((second.Node(pre)!.Value.Lower - wide.Lower).abs().max().item<double>() == 0);
        Assert.True((second.Upper - second.Lower).sum().item<double>() > (first.Upper - first.Lower).sum().item<double>());
    }

    [Fact]
    public void Past_its_deadline_refinement_keeps_interval_bounds_and_stays_sound()
    {
        var graph = TestNetworks.Mlp(() => new ReluOp(), 112, width: 16, layers: 4);
        var (l, u) = Box(graph.InputSize, 113);
        var c = RandomSpec(4, graph.OutputSize, 114);
        // No forward-mode prefilter, so that without refinement a node's bounds are exactly its interval bounds.
        BoundEngine Engine(BoundMethod m) => new(graph, new BoundOptions { Method = m, DType = ScalarType.Float64, ForwardPrefilterMaxInputSize = 0 });
        using var ibp = Engine(BoundMethod.Ibp).Compute(l, u, c);
        using var crown = Engine(BoundMethod.Crown).Compute(l, u, c);
        using var late = Engine(BoundMethod.Crown).Compute(l, u, c, new SubproblemInputs { OptimiseUntil = Deadline.After(TimeSpan.Zero) });
        double Width(BoundResult r, int id) => (r.Node(id)!.Value.Upper - r.Node(id)!.Value.Lower).sum().item<double>();
        var pre = graph.Nodes.Where(n => n.Op is ReluOp).Select(n => n.Inputs[0]).Skip(1).ToList(); // the first one is interval-exact
        Assert.Contains(pre, id => Width(crown, id) < Width(ibp, id) - 1e-9);                      // refinement does tighten here
        foreach (var id in pre) Assert.Equal(Width(ibp, id), Width(late, id), 9);                  // but not past the deadline
        var pts = BruteForce.Points(l, u, 3000, 115);
        Assert.True(BruteForce.MaxViolation(graph, late, pts, c) <= 1e-9, "a sampled point escapes the late bounds");
        Assert.True((late.Lower <= crown.Lower + 1e-9).all().item<bool>(), "bounds without refinement beat those with it");
    }

    [Theory]
    [InlineData(BoundMethod.Ibp)]
    [InlineData(BoundMethod.Crown)]
    public void Bounds_are_differentiable_with_respect_to_the_weights(BoundMethod method)
    {
        var g = manual_seed(120);
        var w1 = (randn(new long[] { 6, 3 }, ScalarType.Float64, generator: g)).requires_grad_();
        var w2 = (randn(new long[] { 2, 6 }, ScalarType.Float64, generator: g)).requires_grad_();
        var b = new GraphBuilder(new long[] { 3 });
        int x = b.Add(new LinearOp(w1, null), "fc1", "t", 0);
        x = b.Add(new ReluOp(), "relu", "t", x);
        x = b.Add(new LinearOp(w2, null), "fc2", "t", x);
        var graph = b.Build(x);
        var (l, u) = Box(3, 121);
        using var r = new BoundEngine(graph, new BoundOptions { Method = method, DType = ScalarType.Float64 }).Compute(l, u);
        r.Lower.sum().backward();
        Assert.NotNull(w1.grad);
        Assert.NotNull(w2.grad);
        Assert.True(w1.grad!.abs().sum().item<double>() > 0 && w2.grad!.abs().sum().item<double>() > 0);
        Assert.False(w1.grad!.isnan().any().item<bool>());
    }

    [Fact]
    public void Float32_bounds_contain_float64_samples_up_to_rounding()
    {
        var graph = TestNetworks.Mlp(() => new ReluOp(), 130, width: 16, layers: 3);
        var (l, u) = Box(graph.InputSize, 131);
        var pts = BruteForce.Points(l, u, 3000, 132);
        foreach (var m in Methods)
        {
            using var r = new BoundEngine(graph, new BoundOptions { Method = m }).Compute(l, u);
            Assert.Equal(ScalarType.Float32, r.Lower.dtype);
            Assert.True(BruteForce.MaxViolation(graph, r, pts, null) <= 1e-4, $"{m}");
        }
    }

    [Fact]
    public void Softmax_max_pool_and_sign_have_crown_rules_and_fall_back_to_intervals_nowhere()
    {
        // They were the IBP fallbacks (constants inside CROWN passes); each now has a linear relaxation.
        foreach (var graph in new[] { TestNetworks.WiringNet(1, softmax: true), TestNetworks.PoolNet(2), TestNetworks.Mlp(() => new SignOp(), 3) })
        {
            var engine = new BoundEngine(graph, new BoundOptions { Method = BoundMethod.Crown, DType = ScalarType.Float64 });
            Assert.Empty(engine.IbpFallbackNodes);
            var (l, u) = Box(graph.InputSize, 2, 0.2);
            using var r = engine.Compute(l.reshape(ComputationGraph.ShapeWithBatch(1, graph.InputShape)), u.reshape(ComputationGraph.ShapeWithBatch(1, graph.InputShape)));
            Assert.Empty(r.IbpFallbacks);
        }
    }
}

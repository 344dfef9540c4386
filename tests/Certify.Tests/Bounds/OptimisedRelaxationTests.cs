using Certify.Bounds;
using Certify.Graph;
using Certify.Operators;
using Certify.Import;
using Certify.Spec;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Certify.Tests.Bounds;

/// <summary>
/// alpha-CROWN over every relaxation with a free choice (<see cref="IOptimisableRule"/>), checked through the engine's
/// public interface: per operator, bounds for random parameter values in [0, 1] (given as a parent's would be) and for
/// the optimised values contain every sample of the box, in float32 and float64; iteration 0 is CROWN; the optimised
/// bound is never looser than CROWN's and strictly tighter on small sigmoid, tanh and leaky networks and on the ERAN
/// sigmoid benchmark.
/// </summary>
[Collection(SequentialRandomCollection.Name)]
public sealed class OptimisedRelaxationTests(ITestOutputHelper output)
{
    public static TheoryData<string, ScalarType> CasesAndTypes()
    {
        var data = new TheoryData<string, ScalarType>();
        foreach (var c in RelaxationCase.All) { data.Add(c.Name, ScalarType.Float64); data.Add(c.Name, ScalarType.Float32); }
        return data;
    }

    static BoundEngine Engine(ComputationGraph g, BoundMethod m, ScalarType dtype, int iterations = 20) =>
        new(g, new BoundOptions { Method = m, DType = dtype, AlphaIterations = iterations });

    /// <summary>Rows <c>[I; −I]</c> over the outputs: the lower pass then uses both lines of every output, and so does the upper pass.</summary>
    static Tensor BothSigns(long m) => cat(new[] { eye(m, dtype: ScalarType.Float64), -eye(m, dtype: ScalarType.Float64) });

    /// <summary>
    /// Largest escape of a sample below a row's lower bound or above its upper bound, relative to <c>1 + |c·y|</c>.
    /// <paramref name="points"/> is <c>[B, N, *inputShape]</c>.
    /// </summary>
    static double Escape(ComputationGraph g, BoundResult r, Tensor c, Tensor points)
    {
        double worst = 0;
        for (long b = 0; b < points.shape[0]; b++)
        {
            var y = g.Forward(points[b]).reshape(points.shape[1], -1);
            var cy = matmul(y, c.t());                                                        // [N, S]
            var lo = r.Lower[b].to_type(ScalarType.Float64).unsqueeze(0);
            var hi = r.Upper[b].to_type(ScalarType.Float64).unsqueeze(0);
            var scale = 1 + cy.abs();
            worst = Math.Max(worst, ((lo - cy) / scale).max().item<double>());
            worst = Math.Max(worst, ((cy - hi) / scale).max().item<double>());
        }
        return worst;
    }

    /// <summary>
    /// Largest escape of a sample below the LINEAR lower bound <c>A·x + b</c> of each row (relative to <c>1 + |c·y|</c>),
    /// rebuilt from the lower pass's input coefficients A (<see cref="SubproblemInputs.CoefficientNodes"/> = {0}) and
    /// the row bound (its minimum over the box). Checking the linear function at every sample, not only its minimum,
    /// catches a line that leaves the function where the minimum does not sit (e.g. a tangent point outside its valid range).
    /// </summary>
    static double LinearEscape(ComputationGraph g, BoundResult r, Tensor c, Tensor l, Tensor u, Tensor points)
    {
        long batch = l.shape[0];
        var a = r.LowerCoefficients![0].to_type(ScalarType.Float64).reshape(batch, c.shape[0], -1);      // [B, S, n]
        var lo = l.reshape(batch, -1, 1); var hi = u.reshape(batch, -1, 1);
        var atMin = (matmul(a, (lo + hi) / 2) - matmul(a.abs(), (hi - lo) / 2)).squeeze(-1);             // [B, S]
        var bias = r.Lower.to_type(ScalarType.Float64) - atMin;
        double worst = 0;
        for (long b = 0; b < batch; b++)
        {
            var x = points[b].reshape(points.shape[1], -1);
            var cy = matmul(g.Forward(points[b]).reshape(points.shape[1], -1), c.t());                   // [N, S]
            var line = matmul(x, a[b].t()) + bias[b].unsqueeze(0);
            worst = Math.Max(worst, ((line - cy) / (1 + cy.abs())).max().item<double>());
        }
        return worst;
    }

    static double Largest(Tensor t) => t.max().to_type(ScalarType.Float64).item<double>();

    static int Index(RelaxationCase rc) => RelaxationCase.All.ToList().IndexOf(rc);

    static double Tolerance(ScalarType dtype) => dtype == ScalarType.Float64 ? 1e-9 : 1e-5;

    /// <summary>Random parameters of the shapes alpha-CROWN uses, uniform in [0, 1] with a fifth exactly 0 and a fifth exactly 1.</summary>
    static AlphaState RandomParameters(AlphaState shapes, Generator g)
    {
        Tensor R(Tensor like)
        {
            var t = rand(like.shape, ScalarType.Float64, generator: g);
            var which = rand(like.shape, ScalarType.Float64, generator: g);
            return where(which.lt(0.2), zeros_like(t), where(which.lt(0.4), ones_like(t), t));
        }
        var s = new AlphaState();
        foreach (var (id, t) in shapes.LowerPass) s.LowerPass[id] = R(t);
        foreach (var (id, t) in shapes.UpperPass) s.UpperPass[id] = R(t);
        return s;
    }

    [Theory]
    [MemberData(nameof(CasesAndTypes))]
    public void Every_parameter_value_in_0_1_gives_bounds_that_contain_every_sample(string name, ScalarType dtype)
    {
        var rc = RelaxationCase.Named(name);
        var g = rc.Graph();
        var gen = manual_seed(1000 + Index(rc));
        var c = BothSigns(g.OutputSize);
        var fixedEngine = Engine(g, BoundMethod.AlphaCrown, dtype, iterations: 0);
        double worst = 0, moved = 0;
        bool hasParameters = false;
        for (int trial = 0; trial < 6; trial++)
        {
            var (l, u) = rc.Boxes(4, gen);
            var points = rc.Samples(l, u, 300, gen);
            using var crown = Engine(g, BoundMethod.Crown, dtype).Compute(l, u, c, new SubproblemInputs { CoefficientNodes = new[] { 0 } });
            worst = Math.Max(worst, Math.Max(Escape(g, crown, c, points), LinearEscape(g, crown, c, l, u, points)));
            using var probe = fixedEngine.Compute(l, u, c);
            if (probe.Alphas is null || probe.Alphas.LowerPass.Count == 0) continue;
            hasParameters = true;
            using var theta = RandomParameters(probe.Alphas, gen);
            using var r = fixedEngine.Compute(l, u, c, new SubproblemInputs { Alphas = theta, CoefficientNodes = new[] { 0 } });
            Assert.False(r.Lower.isnan().any().item<bool>() || r.Upper.isnan().any().item<bool>(), $"{name} ({dtype}): NaN bound");
            worst = Math.Max(worst, Math.Max(Escape(g, r, c, points), LinearEscape(g, r, c, l, u, points)));
            moved = Math.Max(moved, Math.Max(Largest((r.Lower - crown.Lower).abs()), Largest((r.Upper - crown.Upper).abs())));
        }
        output.WriteLine($"{name} ({dtype}): worst relative escape {worst:g3}, largest change from CROWN {moved:g3}");
        Assert.True(worst <= Tolerance(dtype), $"{name} ({dtype}): a sample escapes a bound by {worst} (relative)");
        bool optimisable = name is not ("Softmax" or "SoftmaxInner");
        Assert.Equal(optimisable, hasParameters);
        // The given parameters are really used (a test that ignored them would pass trivially).
        if (optimisable && name != "ClipPoint") Assert.True(moved > 1e-6, $"{name}: random parameters never changed a bound");
    }

    [Theory]
    [MemberData(nameof(CasesAndTypes))]
    public void Iteration_zero_is_crown_and_the_optimised_bounds_contain_every_sample_and_are_never_looser(string name, ScalarType dtype)
    {
        var rc = RelaxationCase.Named(name);
        var g = rc.Graph();
        var gen = manual_seed(2000 + Index(rc));
        double tol = Tolerance(dtype);
        for (int trial = 0; trial < 4; trial++)
        {
            var (l, u) = rc.Boxes(3, gen);
            var points = rc.Samples(l, u, 300, gen);
            // Random rows mix the outputs, so the best relaxation of each depends on the row: something to optimise.
            var c = cat(new[] { randn(new[] { 4, g.OutputSize }, ScalarType.Float64, generator: gen), BothSigns(g.OutputSize) });
            using var crown = Engine(g, BoundMethod.Crown, dtype).Compute(l, u, c);
            using var first = Engine(g, BoundMethod.AlphaCrown, dtype, iterations: 0).Compute(l, u, c);
            using var alpha = Engine(g, BoundMethod.AlphaCrown, dtype).Compute(l, u, c, new SubproblemInputs { CoefficientNodes = new[] { 0 } });
            var scale = 1 + crown.Lower.abs().maximum(crown.Upper.abs());
            double zero = Math.Max(Largest((first.Lower - crown.Lower).abs() / scale), Largest((first.Upper - crown.Upper).abs() / scale));
            Assert.True(zero <= (dtype == ScalarType.Float64 ? 1e-12 : 1e-6), $"{name} ({dtype}): iteration 0 differs from CROWN by {zero} (relative)");
            Assert.True((alpha.Lower >= crown.Lower - tol * scale).all().item<bool>(), $"{name} ({dtype}): alpha-CROWN lower bound below CROWN's");
            Assert.True((alpha.Upper <= crown.Upper + tol * scale).all().item<bool>(), $"{name} ({dtype}): alpha-CROWN upper bound above CROWN's");
            double escape = Math.Max(Escape(g, alpha, c, points), LinearEscape(g, alpha, c, l, u, points));
            Assert.True(escape <= tol, $"{name} ({dtype}): a sample escapes an optimised bound by {escape} (relative)");
        }
    }

    public static TheoryData<string> TightenedActivations() => new() { "Sigmoid", "Tanh", "LeakyRelu" };

    [Theory]
    [MemberData(nameof(TightenedActivations))]
    public void Alpha_crown_is_strictly_tighter_than_crown_on_a_small_network(string activation)
    {
        Func<Op> make = activation switch
        {
            "Sigmoid" => () => new SigmoidOp(),
            "Tanh" => () => new TanhOp(),
            _ => () => new LeakyReluOp(0.1),
        };
        var g = TestNetworks.Mlp(make, 300, width: 16, layers: 3);
        var gen = manual_seed(301);
        var centre = randn(new long[] { 1, 3 }, ScalarType.Float64, generator: gen) * 0.5;
        var (l, u) = (centre - 0.8, centre + 0.8);
        var c = randn(new long[] { 6, 3 }, ScalarType.Float64, generator: gen);
        using var crown = Engine(g, BoundMethod.Crown, ScalarType.Float64).Compute(l, u, c);
        using var alpha = Engine(g, BoundMethod.AlphaCrown, ScalarType.Float64).Compute(l, u, c);
        double gain = Math.Max((alpha.Lower - crown.Lower).max().item<double>(), (crown.Upper - alpha.Upper).max().item<double>());
        output.WriteLine($"{activation}: largest gain over CROWN {gain:g4}");
        Assert.True(gain > 1e-4, $"{activation}: alpha-CROWN did not tighten any row (gain {gain})");
        Assert.True((alpha.Lower >= crown.Lower - 1e-9).all().item<bool>() && (alpha.Upper <= crown.Upper + 1e-9).all().item<bool>());
        var points = BruteForce.Points(l, u, 3000, 302);
        Assert.True(BruteForce.MaxViolation(g, alpha, points, c) <= 1e-9, $"{activation}: a sample escapes an alpha-CROWN bound");
    }

    public static TheoryData<string> Networks() => new()
    {
        "Sigmoid", "Tanh", "LeakyRelu", "LeakyRelu2", "Clip", "Sin", "Cos", "Pow2", "Pow3", "Sign", "Pool", "Wiring", "WiringSoftmax",
    };

    static ComputationGraph Network(string name, int seed) => name switch
    {
        "Pool" => TestNetworks.PoolNet(seed),
        "Wiring" => TestNetworks.WiringNet(seed, softmax: false),
        "WiringSoftmax" => TestNetworks.WiringNet(seed, softmax: true),
        "LeakyRelu2" => TestNetworks.Mlp(() => new LeakyReluOp(2.0), seed),
        "LeakyRelu" => TestNetworks.Mlp(() => new LeakyReluOp(0.1), seed),
        _ => TestNetworks.Mlp(TestNetworks.Activations().First(a => a.Name == name).Make, seed),
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void On_networks_iteration_zero_is_crown_and_alpha_crown_is_sound_and_never_looser(string name)
    {
        for (int seed = 0; seed < 2; seed++)
        {
            var g = Network(name, 400 + seed);
            var gen = manual_seed(410 + seed);
            var centre = randn(ComputationGraph.ShapeWithBatch(1, g.InputShape), ScalarType.Float64, generator: gen) * 0.5;
            double radius = name == "Pool" ? 0.3 : 0.6;
            var (l, u) = (centre - radius, centre + radius);
            var c = randn(new[] { 4, g.OutputSize }, ScalarType.Float64, generator: gen);
            using var crown = Engine(g, BoundMethod.Crown, ScalarType.Float64).Compute(l, u, c);
            using var first = Engine(g, BoundMethod.AlphaCrown, ScalarType.Float64, iterations: 0).Compute(l, u, c);
            using var alpha = Engine(g, BoundMethod.AlphaCrown, ScalarType.Float64).Compute(l, u, c);
            Assert.Empty(crown.IbpFallbacks);
            var scale = 1 + crown.Lower.abs().maximum(crown.Upper.abs());
            double zero = Math.Max(Largest((first.Lower - crown.Lower).abs() / scale), Largest((first.Upper - crown.Upper).abs() / scale));
            Assert.True(zero <= 1e-10, $"{name}: iteration 0 differs from CROWN by {zero} (relative)");
            Assert.True((alpha.Lower >= crown.Lower - 1e-9 * scale).all().item<bool>(), $"{name}: alpha-CROWN lower bound below CROWN's");
            Assert.True((alpha.Upper <= crown.Upper + 1e-9 * scale).all().item<bool>(), $"{name}: alpha-CROWN upper bound above CROWN's");
            var points = BruteForce.Points(l.flatten(1), u.flatten(1), 2000, 420 + seed);
            double v = BruteForce.MaxViolation(g, alpha, points, c);
            Assert.True(v <= 1e-9, $"{name}: a sample escapes an alpha-CROWN bound by {v}");
            // A parent's optimised parameters stay sound on a child box (branch and bound starts children from them).
            var mid = (l + u) / 2;
            using var child = Engine(g, BoundMethod.AlphaCrown, ScalarType.Float64, iterations: 0).Compute(l, mid, c, new SubproblemInputs { Alphas = alpha.Alphas });
            var childPoints = BruteForce.Points(l.flatten(1), mid.flatten(1), 2000, 430 + seed);
            Assert.True(BruteForce.MaxViolation(g, child, childPoints, c) <= 1e-9, $"{name}: a parent's parameters gave an unsound bound on a child box");
        }
    }

    /// <summary>
    /// The real ERAN sigmoid network (6×200, MNIST, ε = 0.012): CROWN's lowest row bound is −31.88 and alpha-CROWN used to
    /// return exactly that (only ReLU slopes were optimised). The optimised tangent points must lift it, and the result
    /// must stay below the value at every sample, including points a sign-gradient descent finds.
    /// </summary>
    [SkippableFact]
    public void Alpha_crown_beats_crown_on_the_eran_sigmoid_network_and_stays_below_every_sample()
    {
        var bench = TestPaths.RequireBench();
        var onnx = Path.Combine(bench, "eran/onnx/ffnnSIGMOID__Point_6x200.onnx");
        var vnnlib = Path.Combine(bench, "eran/vnnlib/mnist_spec_idx_7167_eps_0.01200.vnnlib");
        Skip.IfNot(File.Exists(onnx) && File.Exists(vnnlib), "the ERAN sigmoid benchmark is not in ../shared/bench");
        var g = OnnxImporter.Import(onnx).To(ScalarType.Float64);
        var region = VnnLibParser.Parse(vnnlib).Regions[0];
        var (c, _) = SpecificationMatrix.FromRegion(region, (int)g.OutputSize);
        var l = tensor(region.Lower).unsqueeze(0);
        var u = tensor(region.Upper).unsqueeze(0);
        using var crown = Engine(g, BoundMethod.Crown, ScalarType.Float64).Compute(l, u, c);
        using var alpha = Engine(g, BoundMethod.AlphaCrown, ScalarType.Float64).Compute(l, u, c);
        output.WriteLine($"CROWN  {string.Join(", ", crown.Lower[0].data<double>().Select(v => v.ToString("F3")))}");
        output.WriteLine($"alpha  {string.Join(", ", alpha.Lower[0].data<double>().Select(v => v.ToString("F3")))}");
        Assert.True((alpha.Lower >= crown.Lower - 1e-9).all().item<bool>(), "alpha-CROWN below CROWN on some row");
        Assert.True((alpha.Lower - crown.Lower).min().item<double>() > 1e-3, "alpha-CROWN did not lift every row above CROWN");

        // Samples: uniform points and corners of the box, then sign-gradient descent on every row from some of them.
        var points = BruteForce.Points(l, u, 1000, 17);
        var sampled = matmul(g.Forward(points).reshape(points.shape[0], -1), c.t()).amin(new long[] { 0 });   // [S]
        var gen = manual_seed(18);
        var attacked = new double[c.shape[0]];
        for (int row = 0; row < c.shape[0]; row++)
        {
            var x = (l + rand(new[] { 8, l.shape[1] }, ScalarType.Float64, generator: gen) * (u - l)).requires_grad_();
            for (int step = 0; step < 40; step++)
            {
                var obj = matmul(g.Forward(x).reshape(8, -1), c[row].unsqueeze(1)).sum();
                var grad = autograd.grad(new[] { obj }, new[] { x })[0];
                using (no_grad()) x = minimum(maximum(x - (u - l) * 0.1 * grad.sign(), l), u).requires_grad_();
            }
            using (no_grad()) attacked[row] = matmul(g.Forward(x).reshape(8, -1), c[row].unsqueeze(1)).min().item<double>();
        }
        output.WriteLine($"sample {string.Join(", ", sampled.data<double>().Select(v => v.ToString("F3")))}");
        output.WriteLine($"attack {string.Join(", ", attacked.Select(v => v.ToString("F3")))}");
        var best = minimum(sampled, tensor(attacked));
        Assert.True((alpha.Lower[0] <= best + 1e-7).all().item<bool>(), "alpha-CROWN's bound is above a sampled value: unsound");
    }
}

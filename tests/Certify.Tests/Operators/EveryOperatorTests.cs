using Certify.Graph;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Tests.Operators;

/// <summary>
/// One brute-force soundness check per built-in operator, so that no operator can be added without one: every
/// definition in <see cref="OperatorRegistry"/> (but the input) has a case here, a small network that feeds the op
/// correlated inputs (a tanh layer and a random linear layer before it, so that CROWN's back-substitution through the
/// op matters and its input's lower and upper linear bounds differ) and mixes its outputs afterwards, with boxes inside the op's domain, a quarter of them degenerate. Each case is bounded
/// with IBP, CROWN, alpha-CROWN (5 iterations) and forward mode in float32 and float64, and every sampled value (and,
/// for up to 10 inputs, every corner) must lie inside every node bound and every row bound (<see cref="OperatorChecks"/>).
/// The family test files (<c>*Tests.cs</c> here and <c>Bounds/</c>) check each op in more detail (kinks, singular
/// points, parameter sweeps); this file is the guarantee that covers all of them.
/// </summary>
public class EveryOperatorTests
{
    /// <summary>A case: its network, and the range and largest radius of its boxes.</summary>
    sealed record Case(Func<int, ComputationGraph> Graph, double Lo, double Hi, double Radius, long Inputs, bool Forward = true);

    static Tensor R(int seed, params long[] shape) => randn(shape, ScalarType.Float64, generator: manual_seed(seed));

    /// <summary>Linear(n → m) (random, seeded) after the input, then <paramref name="op"/>, then a random Linear to 2 outputs.</summary>
    static Func<int, ComputationGraph> Around(Func<Op> op, long n = 3, long m = 6, double scale = 1, double shift = 0, long[]? reshape = null) => seed =>
    {
        var b = new GraphBuilder(new[] { n });
        int x = b.Add(new LinearOp(R(seed, m, n) * scale, R(seed + 1, m) * 0.3 * scale + shift), "fc1", "test", Curved(b, n, seed));
        if (reshape is not null) x = b.Add(new ReshapeOp(reshape), "reshape", "test", x);
        x = b.Add(op(), "op", "test", x);
        x = Flat(b, x);
        return b.Build(b.Add(new LinearOp(R(seed + 2, 2, b.Nodes[x].Shape[0]), null), "fc2", "test", x));
    };

    /// <summary>Two random linear layers of the input combined by a binary op, then a random Linear to 2 outputs.</summary>
    static Func<int, ComputationGraph> Binary(Func<Op> op, double scale = 1, double shift = 0) => seed =>
    {
        var b = new GraphBuilder(new long[] { 3 });
        int z = Curved(b, 3, seed);
        int a = b.Add(new LinearOp(R(seed, 4, 3) * scale, R(seed + 1, 4) * 0.3 * scale + shift), "fa", "test", z);
        int c = b.Add(new LinearOp(R(seed + 2, 4, 3) * scale, R(seed + 3, 4) * 0.3 * scale + shift), "fb", "test", z);
        int y = b.Add(op(), "op", "test", a, c);
        y = Flat(b, y);
        return b.Build(b.Add(new LinearOp(R(seed + 4, 2, b.Nodes[y].Shape[0]), null), "fc2", "test", y));
    };

    /// <summary>
    /// tanh(2·(W·x + b)) with W near the identity, n → n, after the input: the op's input then has lower and upper
    /// linear bounds that differ (forward mode, CROWN), so a rule that mixes them up fails; after a linear layer alone
    /// they coincide and such a mistake would go unseen.
    /// </summary>
    static int Curved(GraphBuilder b, long n, int seed)
    {
        int x = b.Add(new LinearOp(2 * (eye(n, dtype: ScalarType.Float64) + 0.3 * R(seed + 9, n, n)), 0.4 * R(seed + 10, n)), "fc0", "test", 0);
        return b.Add(new TanhOp(), "tanh0", "test", x);
    }

    /// <summary>Node <paramref name="x"/> flattened to one axis.</summary>
    static int Flat(GraphBuilder b, int x) => b.Add(new ReshapeOp(new[] { b.Nodes[x].Shape.Aggregate(1L, (p, d) => p * d) }), "flat", "test", x);

    /// <summary>An image-like case: 16 inputs as a [1, 4, 4] image, a random Conv, the op, flattened, a random Linear to 2 outputs.</summary>
    static Func<int, ComputationGraph> Spatial(Func<int, Op> op) => seed =>
    {
        var b = new GraphBuilder(new long[] { 16 });
        int x = b.Add(new ReshapeOp(new long[] { 1, 4, 4 }), "image", "test", Curved(b, 16, seed));
        x = b.Add(new ConvOp(R(seed, 2, 1, 2, 2), R(seed + 1, 2) * 0.3, new long[] { 1, 1 }, new long[] { 0, 0, 0, 0 }, new long[] { 1, 1 }, 1), "conv0", "test", x);
        x = b.Add(op(seed + 2), "op", "test", x);
        x = Flat(b, x);
        return b.Build(b.Add(new LinearOp(R(seed + 3, 2, b.Nodes[x].Shape[0]), null), "fc2", "test", x));
    };

    static readonly Dictionary<string, Case> Cases = new()
    {
        ["Linear"] = new(Around(() => new LinearOp(R(7, 5, 6), R(8, 5))), -1, 1, 0.5, 3),
        ["Affine"] = new(Around(() => new AffineOp(R(7, 6), R(8, 6))), -1, 1, 0.5, 3),
        ["Conv"] = new(Spatial(s => new ConvOp(R(s, 3, 2, 2, 2), R(s + 1, 3), new long[] { 1, 1 }, new long[] { 1, 0, 0, 1 }, new long[] { 1, 1 }, 1)), -1, 1, 0.5, 16),
        ["ConvTranspose"] = new(Spatial(s => new ConvTransposeOp(R(s, 2, 1, 2, 2), R(s + 1, 1), new long[] { 2, 2 }, new long[] { 0, 0 }, new long[] { 0, 0 }, new long[] { 1, 1 }, 1)), -1, 1, 0.5, 16),
        ["Add"] = new(Binary(() => new AddOp()), -1, 1, 0.5, 3),
        ["Mul"] = new(Binary(() => new MulOp()), -1, 1, 0.5, 3),
        ["Pow"] = new(Around(() => new PowOp(3)), -1, 1, 0.5, 3),
        ["Reduce"] = new(Around(() => new ReduceOp(ReduceKind.Mean, new long[] { 1 }, false), reshape: new long[] { 2, 3 }), -1, 1, 0.5, 3),
        ["Reshape"] = new(Around(() => new ReshapeOp(new long[] { 3, 2 })), -1, 1, 0.5, 3),
        ["Transpose"] = new(Around(() => new TransposeOp(new long[] { 1, 0 }), reshape: new long[] { 2, 3 }), -1, 1, 0.5, 3),
        ["Concat"] = new(Binary(() => new ConcatOp(0)), -1, 1, 0.5, 3, Forward: false),
        ["Slice"] = new(Around(() => new SliceOp(0, 1, 6, 2)), -1, 1, 0.5, 3),
        ["Gather"] = new(Around(() => new GatherOp(0, new long[] { 0, 2, 2, 5 }, false)), -1, 1, 0.5, 3),
        ["Pad"] = new(Around(() => new PadOp(new long[] { 1, 2 }, 0.5)), -1, 1, 0.5, 3),
        ["AvgPool"] = new(Spatial(_ => new AvgPoolOp(new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 0, 0 }, true, false)), -1, 1, 0.5, 16),
        ["MaxPool"] = new(Spatial(_ => new MaxPoolOp(new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 0, 0 }, new long[] { 1, 1 }, false)), -1, 1, 0.5, 16),
        ["Relu"] = new(Around(() => new ReluOp()), -1, 1, 0.5, 3),
        ["LeakyRelu"] = new(Around(() => new LeakyReluOp(0.1)), -1, 1, 0.5, 3),
        ["Clip"] = new(Around(() => new ClipOp(-0.5, 0.7)), -1, 1, 0.5, 3),
        ["Sign"] = new(Around(() => new SignOp()), -1, 1, 0.5, 3),
        ["Sigmoid"] = new(Around(() => new SigmoidOp(), scale: 2), -1, 1, 0.5, 3),
        ["Tanh"] = new(Around(() => new TanhOp(), scale: 2), -1, 1, 0.5, 3),
        ["Sin"] = new(Around(() => new SinOp(), scale: 2), -1, 1, 0.5, 3),
        ["Cos"] = new(Around(() => new CosOp(), scale: 2), -1, 1, 0.5, 3),
        ["Softmax"] = new(Around(() => new SoftmaxOp(1), reshape: new long[] { 2, 3 }), -1, 1, 0.5, 3),
        ["Reciprocal"] = new(Around(() => new ReciprocalOp(), scale: 0.1, shift: 2), -1, 1, 0.5, 3),
        ["Exp"] = new(Around(() => new ExpOp()), -1, 1, 0.5, 3),
        ["Log"] = new(Around(() => new LogOp(), scale: 0.1, shift: 2), -1, 1, 0.5, 3),
        ["Sqrt"] = new(Around(() => new SqrtOp(), scale: 0.1, shift: 2), -1, 1, 0.5, 3),
        ["Softplus"] = new(Around(() => new SoftplusOp(), scale: 2), -1, 1, 0.5, 3),
        ["Atan"] = new(Around(() => new AtanOp(), scale: 2), -1, 1, 0.5, 3),
        ["Erf"] = new(Around(() => new ErfOp(), scale: 2), -1, 1, 0.5, 3),
        ["Gelu"] = new(Around(() => new GeluOp(), scale: 2), -1, 1, 0.5, 3),
        ["Abs"] = new(Around(() => new AbsOp()), -1, 1, 0.5, 3),
        ["Max"] = new(Binary(() => new MaxOp()), -1, 1, 0.5, 3),
        ["Min"] = new(Binary(() => new MinOp()), -1, 1, 0.5, 3),
        ["ReduceMax"] = new(Around(() => new ReduceMaxOp(new long[] { 1 }, false), reshape: new long[] { 2, 3 }), -1, 1, 0.5, 3),
        ["ReduceMin"] = new(Around(() => new ReduceMinOp(new long[] { 1 }, true), reshape: new long[] { 2, 3 }), -1, 1, 0.5, 3),
    };

    /// <summary>The built-in definitions (the registry also holds operators that other tests register at run time).</summary>
    static IEnumerable<OperatorDefinition> BuiltIn() =>
        OperatorRegistry.Definitions.Where(d => d.OpType.Assembly == typeof(OperatorRegistry).Assembly && d.OpType != typeof(InputOp));

    [Fact]
    public void Every_built_in_operator_has_a_case()
    {
        var missing = BuiltIn().Select(d => d.Name).Where(n => !Cases.ContainsKey(n)).ToList();
        Assert.True(missing.Count == 0, $"operators without a brute-force case in EveryOperatorTests: {string.Join(", ", missing)}");
        var stale = Cases.Keys.Where(k => BuiltIn().All(d => d.Name != k)).ToList();
        Assert.True(stale.Count == 0, $"cases for operators that are not registered: {string.Join(", ", stale)}");
    }

    public static TheoryData<string, ScalarType> CasesAndTypes()
    {
        var data = new TheoryData<string, ScalarType>();
        foreach (var name in Cases.Keys.Order())
            foreach (var t in new[] { ScalarType.Float32, ScalarType.Float64 }) data.Add(name, t);
        return data;
    }

    [Theory]
    [MemberData(nameof(CasesAndTypes))]
    public void Every_bound_of_the_operator_contains_every_sample(string name, ScalarType dtype)
    {
        var c = Cases[name];
        int seed = 100 + name.Length * 7 + name[0];
        var graph = c.Graph(seed);
        Assert.Contains(graph.Nodes, n => OperatorRegistry.For(n.Op)?.Name == name);
        var (l, u) = OperatorChecks.Boxes(c.Inputs, 8, seed, c.Lo, c.Hi, c.Radius);
        OperatorChecks.AssertSound(graph, l, u, dtype, seed, samples: 200, forward: c.Forward);
        AssertForwardPointwise(graph, l, u, dtype, seed);
    }

    /// <summary>
    /// Every node's forward-mode linear bounds (each rule's <see cref="Certify.Bounds.Rules.BoundRule.Forward"/> on the
    /// IBP bounds of its inputs, as the engine composes them) hold pointwise: <c>LowerW·x + LowerB ≤ y(x) ≤ UpperW·x +
    /// UpperB</c> at every sampled x of each box. Stronger than the row bounds of <see cref="OperatorChecks"/>, which are
    /// concretised over the box and intersected with intervals and so can hide a wrong line.
    /// </summary>
    static void AssertForwardPointwise(ComputationGraph graph, Tensor lower, Tensor upper, ScalarType dtype, int seed)
    {
        using var scope = NewDisposeScope();
        double tol = dtype == ScalarType.Float64 ? 1e-9 : 1e-4;
        using var ibp = new Certify.Bounds.BoundEngine(graph, new Certify.Bounds.BoundOptions { Method = Certify.Bounds.BoundMethod.Ibp, DType = dtype })
            .Compute(lower, upper, eye(graph.OutputSize, dtype: ScalarType.Float64));
        var typed = graph.To(dtype);
        var forward = new Certify.Bounds.LinearBounds[graph.Nodes.Count];
        forward[0] = Certify.Bounds.LinearBounds.Identity(lower.shape[0], graph.InputShape, dtype, lower.device);
        for (int i = 1; i < graph.Nodes.Count; i++)
        {
            var node = typed.Nodes[i];
            var rule = Certify.Bounds.Rules.BoundRuleRegistry.For(node);
            var f = rule.Forward(node, node.Inputs.Select(k => forward[k]).ToArray(), node.Inputs.Select(k => ibp.Node(k)!.Value).ToArray());
            Assert.True(f is not null, $"node '{node.Name}' ({node.Op.Kind}) has no forward rule");
            forward[i] = f!.Value;
        }
        for (int b = 0; b < lower.shape[0]; b++)
        {
            var x = Certify.Tests.Bounds.BruteForce.Points(lower[b], upper[b], 100, seed + 31 + b);                  // [P, n]
            var values = graph.ForwardAll(x);
            for (int i = 1; i < graph.Nodes.Count; i++)
            {
                var f = forward[i];
                long size = graph.Nodes[i].Size, d = graph.InputSize;
                var v = values[i].reshape(x.shape[0], size);
                var lo = matmul(x, f.LowerW[b].to_type(ScalarType.Float64).reshape(size, d).t()) + f.LowerB[b].to_type(ScalarType.Float64).reshape(1, size);
                var hi = matmul(x, f.UpperW[b].to_type(ScalarType.Float64).reshape(size, d).t()) + f.UpperB[b].to_type(ScalarType.Float64).reshape(1, size);
                var scale = 1 + v.abs();
                double below = ((lo - v) / scale).max().item<double>(), above = ((v - hi) / scale).max().item<double>();
                Assert.True(below <= tol && above <= tol,
                    $"forward mode ({dtype}) box {b} node '{graph.Nodes[i].Name}' ({graph.Nodes[i].Op.Kind}): a sample is outside its linear bounds by {Math.Max(below, above):G3} (relative)");
            }
        }
    }
}

using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using Certify.Operators;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Certify.Tests.Search;

/// <summary>
/// The operator-specific half of neuron branch and bound (<see cref="IBranchableRule"/>), checked rule by rule against the
/// function itself: every built-in operator whose rule can be branched has a case here (so an operator cannot land
/// without one), and on random input intervals, in float32 and float64,
/// <list type="bullet">
/// <item>an unstable neuron's branch point lies strictly inside its interval, and a point interval is never unstable;</item>
/// <item>the interval and linear bounds of the parent and of both children (split at the branch point) contain the function
/// at dense samples of each child, at its ends, at the split point and at 0;</item>
/// <item>the relaxation error the rule reports is at least the gap sampled densely between its lines and the function;</item>
/// <item>the children's relaxations enclose no more area than the parent's.</item>
/// </list>
/// The network-level checks (bounds of whole networks under splits, proofs beyond alpha-CROWN) are in
/// <see cref="NeuronBranchAndBoundTests"/>.
/// </summary>
public sealed class BranchableOperatorTests(ITestOutputHelper output)
{
    /// <summary>A variant of an operator (<paramref name="Name"/> is its registry name) and the range its input intervals are drawn from.</summary>
    sealed record Case(string Name, Func<Op> Make, double Lo, double Hi);

    static readonly Dictionary<string, Case> Cases = new[]
    {
        new Case("Relu", () => new ReluOp(), -3, 3),
        new Case("LeakyRelu", () => new LeakyReluOp(0.1), -3, 3),
        new Case("Clip", () => new ClipOp(-0.5, 0.7), -2, 2),
        new Case("Abs", () => new AbsOp(), -3, 3),
        new Case("Sign", () => new SignOp(), -2, 2),
        new Case("Sigmoid", () => new SigmoidOp(), -8, 8),
        new Case("Tanh", () => new TanhOp(), -4, 4),
        new Case("Atan", () => new AtanOp(), -6, 6),
        new Case("Erf", () => new ErfOp(), -3, 3),
        new Case("Gelu", () => new GeluOp(), -5, 5),
        new Case("Sin", () => new SinOp(), -8, 8),
        new Case("Cos", () => new CosOp(), -8, 8),
        new Case("Pow", () => new PowOp(3), -2, 2),
        new Case("Pow", () => new PowOp(2), -2, 2),
        new Case("Pow", () => new PowOp(0.5), 0, 4),
        new Case("Pow", () => new PowOp(1.5), 0, 3),
        new Case("Exp", () => new ExpOp(), -4, 4),
        new Case("Log", () => new LogOp(), 0.05, 6),
        new Case("Sqrt", () => new SqrtOp(), 0, 5),
        new Case("Reciprocal", () => new ReciprocalOp(), 0.2, 4),
        new Case("Reciprocal", () => new ReciprocalOp(), -4, -0.2),
        new Case("Softplus", () => new SoftplusOp(), -6, 6),
    }.ToDictionary(c => $"{c.Make()} on [{c.Lo}, {c.Hi}]");

    /// <summary>The built-in definitions whose rule can branch (every elementwise nonlinearity of one input).</summary>
    static IEnumerable<OperatorDefinition> BranchableBuiltIn() =>
        OperatorRegistry.Definitions.Where(d => d.OpType.Assembly == typeof(OperatorRegistry).Assembly && d.Rule is IBranchableRule);

    [Fact]
    public void Every_built_in_branchable_operator_has_a_case_and_is_branchable()
    {
        var names = Cases.Values.Select(c => c.Name).ToHashSet();
        var missing = BranchableBuiltIn().Select(d => d.Name).Where(n => !names.Contains(n)).ToList();
        Assert.True(missing.Count == 0, $"branchable rules without a case in BranchableOperatorTests: {string.Join(", ", missing)}");
        foreach (var c in Cases.Values)
        {
            Assert.Contains(OperatorRegistry.Definitions, d => d.Name == c.Name);
            var node = Lone(c.Make());
            Assert.True(((IBranchableRule)BoundRuleRegistry.For(node)).IsBranchable(node), $"{c.Name} is not branchable");
        }
    }

    public static TheoryData<string, bool> CasesAndTypes()
    {
        var d = new TheoryData<string, bool>();
        foreach (var k in Cases.Keys.Order()) foreach (var f64 in new[] { true, false }) d.Add(k, f64);
        return d;
    }

    static Node Lone(Op op)
    {
        var b = new GraphBuilder(new long[] { 1 });
        return b.Build(b.Add(op, "op", "t", 0)).Nodes[1];
    }

    /// <summary>Intervals in [lo, hi]: widths from the whole range down to tiny, a tenth of them points.</summary>
    static (Tensor L, Tensor U) Intervals(int n, double lo, double hi, int seed)
    {
        var g = manual_seed(seed);
        var a = lo + (hi - lo) * rand(n, ScalarType.Float64, generator: g);
        var b = lo + (hi - lo) * rand(n, ScalarType.Float64, generator: g);
        var l = minimum(a, b); var u = maximum(a, b);
        var shrink = pow(10.0, -4 * rand(n, ScalarType.Float64, generator: g).pow(3));      // mostly wide, some tiny
        u = l + (u - l) * shrink;
        var point = rand(n, ScalarType.Float64, generator: g).lt(0.1);
        return (l, where(point, l, u));
    }

    /// <summary>The lines of the rule's relaxation on [l, u] (forward mode from the identity), each [n], float64.</summary>
    static (Tensor LowK, Tensor LowB, Tensor UpK, Tensor UpB) Lines(Node node, BoundRule rule, Tensor l, Tensor u)
    {
        long n = l.shape[0];
        var id = LinearBounds.Identity(n, new long[] { 1 }, l.dtype, l.device);
        var f = rule.Forward(node, new[] { id }, new[] { new Interval(l.unsqueeze(1), u.unsqueeze(1)) })!.Value;
        static Tensor D(Tensor t) => t.to_type(ScalarType.Float64);
        return (D(f.LowerW.reshape(n)), D(f.LowerB.reshape(n)), D(f.UpperW.reshape(n)), D(f.UpperB.reshape(n)));
    }

    /// <summary>Dense points of each [l, u] ([n, K], in the interval's dtype, returned as float64): a grid, the ends, the given extra points clamped inside, and 0 where inside.</summary>
    static Tensor Samples(Tensor l, Tensor u, params Tensor[] extra)
    {
        var t = linspace(0, 1, 801, dtype: l.dtype);
        var x = l.unsqueeze(1) + (u - l).unsqueeze(1) * t;
        var more = extra.Select(e => minimum(maximum(e, l), u).unsqueeze(1)).Append(minimum(maximum(zeros_like(l), l), u).unsqueeze(1));
        x = cat(more.Prepend(u.unsqueeze(1)).Prepend(l.unsqueeze(1)).Prepend(x).ToArray(), 1);
        return minimum(maximum(x, l.unsqueeze(1)), u.unsqueeze(1)).to_type(ScalarType.Float64);
    }

    [Theory]
    [MemberData(nameof(CasesAndTypes))]
    public void Branch_points_children_and_errors_are_sound(string key, bool float64)
    {
        var c = Cases[key];
        var dtype = float64 ? ScalarType.Float64 : ScalarType.Float32;
        double tol = float64 ? 1e-9 : 1e-4;
        var op = c.Make();
        var node = Lone(op);
        var rule = BoundRuleRegistry.For(node);
        var br = (IBranchableRule)rule;
        var (l64, u64) = Intervals(600, c.Lo, c.Hi, 1000 + key.Length);
        var l = l64.to_type(dtype); var u = u64.to_type(dtype);
        using var noGrad = no_grad();
        var unstable = br.Unstable(node, l, u);
        Assert.False(unstable.logical_and(l.eq(u)).any().item<bool>(), $"{key}: a point interval is unstable");
        long count = unstable.sum().item<long>();
        Assert.True(count >= 50, $"{key}: only {count} of 600 intervals are unstable, too few for the test");
        var p = br.BranchPoint(node, l, u);
        Assert.True(p.isfinite().all().item<bool>(), $"{key}: a branch point is not finite");
        var outside = unstable.logical_and(p.le(l).logical_or(p.ge(u)));
        Assert.False(outside.any().item<bool>(), $"{key} ({dtype}): {outside.sum().item<long>()} branch points not strictly inside their interval");

        var idx = unstable.nonzero().squeeze(1);
        var (pl, pu, pp) = (l.index_select(0, idx), u.index_select(0, idx), p.index_select(0, idx));
        double parentArea = 0, childrenArea = 0;
        foreach (var (a, b, at, what) in new[] { (l, u, p, "parent"), (pl, pp, pp, "lower child"), (pp, pu, pp, "upper child") })
        {
            var x = Samples(a, b, at);
            var fx = op.Forward(new[] { x });
            var ibp = rule.Ibp(node, new[] { new Interval(a.unsqueeze(1), b.unsqueeze(1)) });
            var scale = 1 + fx.abs();
            double Escape(Tensor t) => t.nan_to_num(double.PositiveInfinity).max().item<double>();
            double ibpOut = Math.Max(Escape((ibp.Lower.to_type(ScalarType.Float64) - fx) / scale), Escape((fx - ibp.Upper.to_type(ScalarType.Float64)) / scale));
            Assert.True(ibpOut <= tol, $"{key} ({dtype}) {what}: a sample escapes the interval bound by {ibpOut:G3}");
            var (lk, lb, uk, ub) = Lines(node, rule, a, b);
            var below = lk.unsqueeze(1) * x + lb.unsqueeze(1);
            var above = uk.unsqueeze(1) * x + ub.unsqueeze(1);
            double lineOut = Math.Max(Escape((below - fx) / scale), Escape((fx - above) / scale));
            Assert.True(lineOut <= tol, $"{key} ({dtype}) {what}: a sample escapes the relaxation's lines by {lineOut:G3}");
            // The reported error is at least the sampled gap (it may be an upper bound; it must not be less).
            var (errL, errU) = br.RelaxationError(node, a, b);
            var gapL = (fx - below).amax(new long[] { 1 }); var gapU = (above - fx).amax(new long[] { 1 });
            var slack = tol * (1 + fx.abs().amax(new long[] { 1 }));
            var shortL = (gapL - errL.to_type(ScalarType.Float64) - slack).max().item<double>();
            var shortU = (gapU - errU.to_type(ScalarType.Float64) - slack).max().item<double>();
            Assert.True(shortL <= 0 && shortU <= 0, $"{key} ({dtype}) {what}: the reported error is below the sampled gap by {Math.Max(shortL, shortU):G3}");
            if (what == "parent") { var (ua, _) = Area(lk, lb, uk, ub, a, b); parentArea = ua.index_select(0, idx).sum().item<double>(); }
            else childrenArea += Area(lk, lb, uk, ub, a, b).Area.sum().item<double>();
        }
        output.WriteLine($"{key} ({dtype}): {count} unstable; relaxation area of the unstable parents {parentArea:G4}, of their children {childrenArea:G4}");
        Assert.True(childrenArea <= parentArea * (1 + 1e-6) + 1e-6, $"{key} ({dtype}): the children's relaxations enclose more area ({childrenArea}) than their parents' ({parentArea})");
    }

    /// <summary>Area between the lines over each [a, b] (the gap is linear: width times the gap at the midpoint).</summary>
    static (Tensor Area, Tensor Gap) Area(Tensor lk, Tensor lb, Tensor uk, Tensor ub, Tensor a, Tensor b)
    {
        var a64 = a.to_type(ScalarType.Float64); var b64 = b.to_type(ScalarType.Float64);
        var m = (a64 + b64) / 2;
        var gap = (uk - lk) * m + ub - lb;
        return ((b64 - a64) * gap, gap);
    }
}

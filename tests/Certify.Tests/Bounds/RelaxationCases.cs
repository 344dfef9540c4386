using Certify.Graph;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Tests.Bounds;

/// <summary>
/// One operator with a free choice (or a new CROWN rule) as a one-node graph over its input box, with the points where
/// its relaxation changes shape (kinks, inflection points, extrema), random boxes that stress them, and samples that
/// hit them. Boxes and samples are float64 values that float32 represents exactly, so float32 and float64 engines bound
/// the same box.
/// </summary>
public sealed record RelaxationCase(string Name, long[] InputShape, Func<GraphBuilder, int> Build, double[] Kinks, bool NonNegative = false, double Scale = 1.5)
{
    public ComputationGraph Graph()
    {
        var b = new GraphBuilder(InputShape);
        return b.Build(Build(b));
    }

    static RelaxationCase Unary(string name, Func<Op> op, double[] kinks, long n = 6, bool nonNegative = false, double scale = 1.5) =>
        new(name, new[] { n }, b => b.Add(op(), "op", "test", 0), kinks, nonNegative, scale);

    public static IReadOnlyList<RelaxationCase> All { get; } = new[]
    {
        Unary("Relu", () => new ReluOp(), new[] { 0.0 }),
        Unary("LeakyRelu0.1", () => new LeakyReluOp(0.1), new[] { 0.0 }),
        Unary("LeakyRelu-0.3", () => new LeakyReluOp(-0.3), new[] { 0.0 }),
        Unary("LeakyRelu2", () => new LeakyReluOp(2.0), new[] { 0.0 }),
        Unary("Sigmoid", () => new SigmoidOp(), new[] { 0.0 }, scale: 4),
        Unary("Tanh", () => new TanhOp(), new[] { 0.0 }, scale: 3),
        Unary("Clip", () => new ClipOp(-0.5, 0.7), new[] { -0.5, 0.7 }),
        Unary("ClipBelowOnly", () => new ClipOp(double.NegativeInfinity, 0.3), new[] { 0.3 }),
        Unary("ClipAboveOnly", () => new ClipOp(0.2, double.PositiveInfinity), new[] { 0.2 }),
        Unary("ClipPoint", () => new ClipOp(0.4, 0.4), new[] { 0.4 }),
        Unary("Sin", () => new SinOp(), new[] { 0.0, Math.PI / 2, -Math.PI / 2, Math.PI }, scale: 3),
        Unary("Cos", () => new CosOp(), new[] { 0.0, Math.PI / 2, -Math.PI / 2, Math.PI }, scale: 3),
        Unary("Pow2", () => new PowOp(2), new[] { 0.0 }),
        Unary("Pow3", () => new PowOp(3), new[] { 0.0 }),
        Unary("Pow4", () => new PowOp(4), new[] { 0.0 }),
        Unary("Pow0.5", () => new PowOp(0.5), new[] { 0.0 }, nonNegative: true),
        Unary("Pow1.5", () => new PowOp(1.5), new[] { 0.0 }, nonNegative: true),
        Unary("Pow2.5", () => new PowOp(2.5), new[] { 0.0 }, nonNegative: true),
        Unary("Sign", () => new SignOp(), new[] { 0.0 }),
        new("Mul", new long[] { 8 }, b =>
        {
            int x = b.Add(new SliceOp(0, 0, 4, 1), "x", "test", 0);
            int y = b.Add(new SliceOp(0, 4, 8, 1), "y", "test", 0);
            return b.Add(new MulOp(), "op", "test", x, y);
        }, new[] { 0.0 }),
        new("MulSelf", new long[] { 5 }, b => b.Add(new MulOp(), "op", "test", 0, 0), new[] { 0.0 }),
        new("MaxPool2d", new long[] { 2, 5, 5 }, b => b.Add(new MaxPoolOp(new long[] { 2, 2 }, new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 1, 1 }, false), "op", "test", 0), new[] { 0.0 }, Scale: 0.5),
        new("MaxPoolCeil", new long[] { 1, 6, 6 }, b => b.Add(new MaxPoolOp(new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 1, 1 }, true), "op", "test", 0), new[] { 0.0 }, Scale: 0.5),
        new("MaxPoolDilated", new long[] { 1, 5, 5 }, b => b.Add(new MaxPoolOp(new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 0, 0 }, new long[] { 2, 2 }, false), "op", "test", 0), new[] { 0.0 }, Scale: 0.5),
        new("MaxPool1d", new long[] { 2, 7 }, b => b.Add(new MaxPoolOp(new long[] { 3 }, new long[] { 2 }, new long[] { 1 }, new long[] { 1 }, false), "op", "test", 0), new[] { 0.0 }, Scale: 0.5),
        Unary("Softmax", () => new SoftmaxOp(0), new[] { 0.0 }, n: 5, scale: 2),
        new("SoftmaxInner", new long[] { 2, 4 }, b => b.Add(new SoftmaxOp(1), "op", "test", 0), new[] { 0.0 }, Scale: 2),
    };

    public static RelaxationCase Named(string name) => All.First(c => c.Name == name);

    /// <summary>
    /// <paramref name="batch"/> boxes <c>[B, *InputShape]</c>, each element of one random kind: an ordinary box, a point
    /// (l = u, also on a kink), a box ending at a kink, one straddling a kink, a very narrow one around a kink, or a
    /// very wide one.
    /// </summary>
    public (Tensor L, Tensor U) Boxes(int batch, Generator g)
    {
        var shape = ComputationGraph.ShapeWithBatch(batch, InputShape);
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var kinds = randint(0, 7, new[] { n }, generator: g);
        var kink = tensor(Kinks).index_select(0, randint(0, Kinks.Length, new[] { n }, generator: g));
        Tensor R() => rand(new[] { n }, ScalarType.Float64, generator: g) * Scale;
        var centre = randn(new[] { n }, ScalarType.Float64, generator: g) * Scale;
        var (l, u) = (centre - R(), centre + R());                                              // 0: ordinary
        Tensor Pick(int kind, Tensor value, Tensor current) => where(kinds.eq(kind), value, current);
        var point = where(rand(new[] { n }, ScalarType.Float64, generator: g).lt(0.5), kink, centre);
        l = Pick(1, point, l); u = Pick(1, point, u);                                          // 1: a point
        var r2 = R(); l = Pick(2, kink, l); u = Pick(2, kink + r2, u);                         // 2: starts at a kink
        var r3 = R(); l = Pick(3, kink - r3, l); u = Pick(3, kink, u);                         // 3: ends at a kink
        var (r4, r5) = (R(), R()); l = Pick(4, kink - r4, l); u = Pick(4, kink + r5, u);       // 4: straddles a kink
        l = Pick(5, kink - 3e-7, l); u = Pick(5, kink + 3e-7, u);                              // 5: very narrow
        var wide = R() * 4 + 2 * Scale; l = Pick(6, centre - wide, l); u = Pick(6, centre + wide, u); // 6: very wide
        if (NonNegative) { l = l.clamp_min(0); u = u.clamp_min(0); }
        // float32-representable ends, l ≤ u.
        l = l.to_type(ScalarType.Float32).to_type(ScalarType.Float64);
        u = maximum(u.to_type(ScalarType.Float32).to_type(ScalarType.Float64), l);
        return (l.reshape(shape), u.reshape(shape));
    }

    /// <summary>
    /// <paramref name="count"/> points of each box, <c>[B, count, *InputShape]</c>: each element independently at its
    /// lower end, its upper end, a kink clipped into the box, or uniform inside.
    /// </summary>
    public Tensor Samples(Tensor l, Tensor u, int count, Generator g)
    {
        long batch = l.shape[0];
        var shape = new[] { batch, (long)count }.Concat(InputShape).ToArray();
        var lo = l.unsqueeze(1).expand(shape); var hi = u.unsqueeze(1).expand(shape);
        var which = rand(shape, ScalarType.Float64, generator: g);
        var kink = tensor(Kinks).index_select(0, randint(0, Kinks.Length, new[] { shape.Aggregate(1L, (a, b) => a * b) }, generator: g)).reshape(shape);
        var uniform = lo + rand(shape, ScalarType.Float64, generator: g) * (hi - lo);
        var x = where(which.lt(0.15), lo, where(which.lt(0.3), hi, where(which.lt(0.45), minimum(maximum(kink, lo), hi), uniform)));
        return minimum(maximum(x, lo), hi);
    }
}

using Certify.Graph;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Tests.Bounds;

/// <summary>Small random networks (float64) covering every op kind, for brute-force soundness tests.</summary>
public static class TestNetworks
{
    static Tensor W(Generator g, params long[] shape)
    {
        long fanIn = shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        return randn(shape, ScalarType.Float64, generator: g) / Math.Sqrt(fanIn) * 1.5;
    }

    static Tensor B(Generator g, long n) => randn(new[] { n }, ScalarType.Float64, generator: g) * 0.3;

    static int Linear(GraphBuilder b, Generator g, int x, long inF, long outF, string name) =>
        b.Add(new LinearOp(W(g, outF, inF), B(g, outF)), name, "test", x);

    /// <summary>Linear → act → Linear → act → Linear on a vector input of size 3.</summary>
    public static ComputationGraph Mlp(Func<Op> activation, int seed, long width = 8, int layers = 2, long inputs = 3, long outputs = 3)
    {
        var g = manual_seed(seed);
        var b = new GraphBuilder(new[] { inputs });
        int x = 0; long f = inputs;
        for (int i = 0; i < layers; i++)
        {
            x = Linear(b, g, x, f, width, $"fc{i}");
            x = b.Add(activation(), $"act{i}", "test", x);
            f = width;
        }
        x = Linear(b, g, x, f, outputs, "out");
        return b.Build(x);
    }

    /// <summary>Conv (symmetric pads) → ReLU → Conv (asymmetric pads, stride 2) → ReLU → flatten → Linear.</summary>
    public static ComputationGraph ConvNet(int seed)
    {
        var g = manual_seed(seed);
        var b = new GraphBuilder(new long[] { 2, 6, 6 });
        int x = b.Add(new ConvOp(W(g, 3, 2, 3, 3), B(g, 3), new long[] { 1, 1 }, new long[] { 1, 1, 1, 1 }, new long[] { 1, 1 }, 1), "conv1", "test", 0);
        x = b.Add(new ReluOp(), "relu1", "test", x);
        x = b.Add(new ConvOp(W(g, 4, 3, 3, 3), B(g, 4), new long[] { 2, 2 }, new long[] { 0, 1, 1, 0 }, new long[] { 1, 1 }, 1), "conv2", "test", x);
        x = b.Add(new ReluOp(), "relu2", "test", x);
        var shape = b.Nodes[x].Shape;
        long n = shape.Aggregate(1L, (p, q) => p * q);
        x = b.Add(new ReshapeOp(new[] { n }), "flat", "test", x);
        x = Linear(b, g, x, n, 3, "out");
        return b.Build(x);
    }

    /// <summary>Pad → grouped Conv → AvgPool → Tanh → ConvTranspose → MaxPool → ReduceMean-free flatten → Linear.</summary>
    public static ComputationGraph PoolNet(int seed)
    {
        var g = manual_seed(seed);
        var b = new GraphBuilder(new long[] { 2, 6, 6 });
        int x = b.Add(new PadOp(new long[] { 0, 1, 1, 0, 0, 1 }, 0.5), "pad", "test", 0);
        x = b.Add(new ConvOp(W(g, 4, 1, 2, 2), B(g, 4), new long[] { 1, 1 }, new long[] { 0, 0, 0, 0 }, new long[] { 1, 1 }, 2), "gconv", "test", x);
        x = b.Add(new AvgPoolOp(new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 1, 1 }, false, false), "avg", "test", x);
        x = b.Add(new TanhOp(), "tanh", "test", x);
        x = b.Add(new ConvTransposeOp(W(g, 4, 2, 2, 2), B(g, 2), new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 1, 1 }, new long[] { 1, 1 }, 1), "deconv", "test", x);
        x = b.Add(new ReluOp(), "relu", "test", x);
        x = b.Add(new MaxPoolOp(new long[] { 2, 2 }, new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 1, 1 }, false), "maxpool", "test", x);
        var shape = b.Nodes[x].Shape;
        long n = shape.Aggregate(1L, (p, q) => p * q);
        x = b.Add(new ReshapeOp(new[] { n }), "flat", "test", x);
        x = Linear(b, g, x, n, 3, "out");
        return b.Build(x);
    }

    /// <summary>Residual block, Concat, Slice, Gather, Transpose, Affine, Mul, Reduce and a final Softmax.</summary>
    public static ComputationGraph WiringNet(int seed, bool softmax)
    {
        var g = manual_seed(seed);
        var b = new GraphBuilder(new long[] { 4 });
        int h = Linear(b, g, 0, 4, 6, "fc1");
        int r = b.Add(new ReluOp(), "relu1", "test", h);
        int h2 = Linear(b, g, r, 6, 6, "fc2");
        int add = b.Add(new AddOp(), "res", "test", h2, h);
        int r2 = b.Add(new ReluOp(), "relu2", "test", add);
        int aff = b.Add(new AffineOp(randn(new long[] { 6 }, ScalarType.Float64, generator: g), randn(new long[] { 6 }, ScalarType.Float64, generator: g)), "affine", "test", r2);
        int cat = b.Add(new ConcatOp(0), "cat", "test", aff, r);
        int sl = b.Add(new SliceOp(0, 1, 11, 2), "slice", "test", cat);            // 5 elements
        int ga = b.Add(new GatherOp(0, new long[] { 0, 2, 2, 4 }, false), "gather", "test", sl); // 4 elements
        int rs = b.Add(new ReshapeOp(new long[] { 2, 2 }), "reshape", "test", ga);
        int tr = b.Add(new TransposeOp(new long[] { 1, 0 }), "transpose", "test", rs);
        int sig = b.Add(new SigmoidOp(), "sig", "test", tr);
        int mul = b.Add(new MulOp(), "mul", "test", tr, sig);
        int red = b.Add(new ReduceOp(ReduceKind.Sum, new long[] { 1 }, false), "reduce", "test", mul);   // [2]
        int fl = b.Add(new ReshapeOp(new long[] { 4 }), "flat", "test", mul);
        int both = b.Add(new ConcatOp(0), "both", "test", fl, red);               // [6]
        int o = Linear(b, g, both, 6, 3, "out");
        if (softmax) o = b.Add(new SoftmaxOp(0), "softmax", "test", o);
        return b.Build(o);
    }

    /// <summary>All activation kinds used by <see cref="Mlp"/> tests, with a readable name.</summary>
    public static IEnumerable<(string Name, Func<Op> Make)> Activations() => new (string, Func<Op>)[]
    {
        ("Relu", () => new ReluOp()), ("LeakyRelu", () => new LeakyReluOp(0.1)), ("Sigmoid", () => new SigmoidOp()),
        ("Tanh", () => new TanhOp()), ("Sign", () => new SignOp()), ("Clip", () => new ClipOp(-0.5, 0.7)),
        ("Sin", () => new SinOp()), ("Cos", () => new CosOp()), ("Pow2", () => new PowOp(2)), ("Pow3", () => new PowOp(3)),
    };
}

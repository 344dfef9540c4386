using Certify.Exact;
using Certify.Graph;
using Certify.Operators;
using Certify.Spec;
using Certify.Verification;
using static TorchSharp.torch;

namespace Certify.Tests.Solvers;

/// <summary>Small random networks, forward helpers and a model evaluator shared by the solver and verification tests.</summary>
public static class TestNetworks
{
    /// <summary>A fully connected ReLU network with the given layer widths (first = input size), float64 weights.</summary>
    public static ComputationGraph Mlp(int seed, params int[] widths)
    {
        using var gen = new Generator((ulong)seed);
        var b = new GraphBuilder(new long[] { widths[0] });
        int h = 0;
        for (int l = 1; l < widths.Length; l++)
        {
            var w = randn(new long[] { widths[l], widths[l - 1] }, dtype: ScalarType.Float64, generator: gen) / Math.Sqrt(widths[l - 1]);
            var bias = randn(new long[] { widths[l] }, dtype: ScalarType.Float64, generator: gen) * 0.3;
            h = b.Add(new LinearOp(w, bias), $"fc{l}", "test", h);
            if (l < widths.Length - 1) h = b.Add(new ReluOp(), $"relu{l}", "test", h);
        }
        return b.Build(h);
    }

    /// <summary>
    /// A small convolutional network on a [1, 4, 4] input that touches most encodable ops: Conv (with padding), Affine,
    /// MaxPool, a residual Add, AvgPool, Concat, LeakyRelu, Clip, Reshape (flatten), Transpose and Linear.
    /// </summary>
    public static ComputationGraph ConvNet(int seed)
    {
        using var gen = new Generator((ulong)seed);
        Tensor R(params long[] s) => randn(s, dtype: ScalarType.Float64, generator: gen) * 0.5;
        var b = new GraphBuilder(new long[] { 1, 4, 4 });
        int c1 = b.Add(new ConvOp(R(2, 1, 3, 3), R(2), new long[] { 1, 1 }, new long[] { 1, 1, 1, 1 }, new long[] { 1, 1 }, 1), "conv1", "test", 0);   // [2,4,4]
        int a1 = b.Add(new AffineOp(R(2, 1, 1), R(2, 1, 1)), "bn1", "test", c1);
        int r1 = b.Add(new ReluOp(), "relu1", "test", a1);
        int c2 = b.Add(new ConvOp(R(2, 2, 3, 3), R(2), new long[] { 1, 1 }, new long[] { 1, 1, 1, 1 }, new long[] { 1, 1 }, 1), "conv2", "test", r1);
        int add = b.Add(new AddOp(), "res", "test", c2, r1);
        int lr = b.Add(new LeakyReluOp(0.1), "leaky", "test", add);
        int mp = b.Add(new MaxPoolOp(new long[] { 2, 2 }, new long[] { 2, 2 }, new long[] { 0, 0 }, new long[] { 1, 1 }, false), "pool", "test", lr);  // [2,2,2]
        int ap = b.Add(new AvgPoolOp(new long[] { 2, 2 }, new long[] { 2, 2 }, new long[] { 0, 0 }, true, false), "avg", "test", r1);              // [2,2,2]
        int cat = b.Add(new ConcatOp(0), "cat", "test", mp, ap);                                                                                  // [4,2,2]
        int cl = b.Add(new ClipOp(-0.5, 1.0), "clip", "test", cat);
        int tr = b.Add(new TransposeOp(new long[] { 1, 2, 0 }), "perm", "test", cl);                                                                // [2,2,4]
        int fl = b.Add(new ReshapeOp(new long[] { 16 }), "flat", "test", tr);
        int f1 = b.Add(new LinearOp(R(6, 16), R(6)), "fc1", "test", fl);
        int r2 = b.Add(new ReluOp(), "relu2", "test", f1);
        int f2 = b.Add(new LinearOp(R(3, 6), R(3)), "fc2", "test", r2);
        return b.Build(f2);
    }

    /// <summary>A tiny network with max pooling, small enough for Z3: [1,3,3] → Conv 2×2 → Relu → MaxPool 2×2 → Linear → 2.</summary>
    public static ComputationGraph TinyPool(int seed)
    {
        using var gen = new Generator((ulong)seed);
        Tensor R(params long[] s) => randn(s, dtype: ScalarType.Float64, generator: gen) * 0.7;
        var b = new GraphBuilder(new long[] { 1, 3, 3 });
        int c = b.Add(new ConvOp(R(2, 1, 2, 2), R(2), new long[] { 1, 1 }, new long[] { 0, 0, 0, 0 }, new long[] { 1, 1 }, 1), "conv", "test", 0); // [2,2,2]
        int r = b.Add(new ReluOp(), "relu", "test", c);
        int p = b.Add(new MaxPoolOp(new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 0, 0 }, new long[] { 1, 1 }, false), "pool", "test", r); // [2,1,1]
        int f = b.Add(new ReshapeOp(new long[] { 2 }), "flat", "test", p);
        int o = b.Add(new LinearOp(R(2, 2), R(2)), "fc", "test", f);
        return b.Build(o);
    }

    /// <summary>Flat float64 forward of one flat input.</summary>
    public static double[] Forward(ComputationGraph g, double[] x)
    {
        using var scope = NewDisposeScope();
        var g64 = g.To(ScalarType.Float64);
        return g64.Forward(tensor(x, new long[] { 1, x.Length })).reshape(-1).data<double>().ToArray();
    }

    /// <summary>Flat float64 outputs of many flat inputs [B, n].</summary>
    public static double[][] ForwardBatch(ComputationGraph g, double[][] xs)
    {
        using var scope = NewDisposeScope();
        int n = xs[0].Length;
        var y = g.Forward(tensor(xs.SelectMany(v => v).ToArray(), new long[] { xs.Length, n })).reshape(xs.Length, -1);
        int m = (int)y.shape[1];
        var flat = y.data<double>().ToArray();
        return Enumerable.Range(0, xs.Length).Select(i => flat.AsSpan(i * m, m).ToArray()).ToArray();
    }

    /// <summary>Uniform samples in the box plus its corners (the corners only when there are few inputs).</summary>
    public static double[][] Samples(double[] lo, double[] hi, int count, int seed)
    {
        var rng = new Random(seed);
        var pts = new List<double[]>();
        for (int s = 0; s < count; s++) pts.Add(lo.Select((l, i) => l + rng.NextDouble() * (hi[i] - l)).ToArray());
        if (lo.Length <= 8)
            for (int c = 0; c < 1 << lo.Length; c++) pts.Add(lo.Select((l, i) => ((c >> i) & 1) == 0 ? l : hi[i]).ToArray());
        return pts.ToArray();
    }

    /// <summary>A one-region specification whose unsafe set is the single half-space <c>c·y ≤ d</c>.</summary>
    public static Specification HalfSpaceSpec(double[] lo, double[] hi, double[] c, double d) =>
        new(new[] { new InputRegion(lo, hi, new OutputCondition(new[] { new Conjunction(new[] { new HalfSpace(c, d) }) })) }, lo.Length, c.Length);

    /// <summary>
    /// Evaluates every variable of a piecewise-linear model at input <paramref name="x"/> by following the
    /// definitions, ReLUs and max groups in variable order (each defines one variable from earlier ones).
    /// </summary>
    public static double[] EvaluateModel(PiecewiseLinearModel model, double[] x)
    {
        var v = new double[model.VariableCount];
        for (int i = 0; i < x.Length; i++) v[model.InputVars[i]] = x[i];
        var defs = new SortedDictionary<int, Func<double>>();
        foreach (var (var, e) in model.Definitions) defs[var] = () => e.Evaluate(v);
        foreach (var r in model.Relus) defs[r.Var] = () => Math.Max(0, r.Input.Evaluate(v));
        foreach (var m in model.Maxes) defs[m.Var] = () => m.Inputs.Max(e => e.Evaluate(v));
        foreach (var (var, f) in defs) v[var] = f();
        return model.Output.Select(e => e.Evaluate(v)).ToArray();
    }
}

/// <summary>A TorchSharp stand-in for ONNX Runtime: the graph's own forward pass in the given precision.</summary>
public sealed class TorchReferenceModel(ComputationGraph graph, ScalarType dtype = ScalarType.Float32) : IReferenceModel
{
    readonly ComputationGraph _g = graph.To(dtype);

    public string Description => $"TorchSharp {dtype}";

    public double[] Run(double[] x)
    {
        using var scope = NewDisposeScope();
        var t = tensor(x, new long[] { 1, x.Length }).to_type(dtype);
        return _g.Forward(t).reshape(-1).to_type(ScalarType.Float64).data<double>().ToArray();
    }
}

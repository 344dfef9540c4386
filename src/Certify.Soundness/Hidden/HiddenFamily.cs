using Certify.Graph;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Soundness.Hidden;

/// <summary>
/// One architecture family of the grade-two soundness benchmark (issue 16): a name, the per-sample input shape and a
/// builder of a freshly initialised network over trainable float32 leaves. The families follow the kinds of network a
/// verifier meets in practice (fully connected, 1-3 convolutions, average pooling, S-shaped activations, attention) at
/// sizes that train in minutes on two CPU cores. Every network has 2 outputs; the properties say "class k wins".
/// <para>Nothing in a network is special: plain Linear / Conv / activation / pooling / attention layers with a
/// fan-in scaled uniform initialisation from the torch random state. The hidden counterexample is put into the weights
/// by <see cref="HiddenTrainer"/> alone, so no node and no initializer names or stores the planted point.</para>
/// </summary>
/// <param name="Name">File-name stem of the family, e.g. <c>cnn_2conv</c>.</param>
/// <param name="InputShape">Per-sample input shape.</param>
/// <param name="Description">One line for the README.</param>
/// <param name="Build">Builds a network from the current torch random state; its arguments are the first layer's weight scale and bias bound (see <see cref="HiddenNetwork.Mlp"/>).</param>
public sealed record HiddenFamily(string Name, long[] InputShape, string Description, Func<double, double, HiddenNetwork> Build)
{
    /// <summary>Number of input scalars.</summary>
    public int InputSize => (int)InputShape.Aggregate(1L, (a, b) => a * b);

    /// <summary>
    /// The nine families of issue 16 plus a mid-size MLP. Order matters only for the generator's round-robin: cheap
    /// families first so that a time-limited run covers every family before it spends time on the large MLP.
    /// </summary>
    public static IReadOnlyList<HiddenFamily> All { get; } =
    [
        new("mlp_4x64", [10], "MLP 10 -> 4 x 64 ReLU -> 2", (s, bb) => HiddenNetwork.Mlp([10], 4, 64, s, bb)),
        new("mlp_5x100", [16], "MLP 16 -> 5 x 100 ReLU -> 2", (s, bb) => HiddenNetwork.Mlp([16], 5, 100, s, bb)),
        new("cnn_1conv", [1, 8, 8], "Conv 1->8 k3, ReLU, FC 288->64, ReLU, FC 64->2 on 1x8x8",
            (s, bb) => HiddenNetwork.Cnn([1, 8, 8], [(8, 3, 1, 0)], Activation.Relu, pool: false, hidden: 64, s, bb)),
        new("cnn_2conv", [3, 16, 16], "Conv 3->8 k4 s2 p1, ReLU, Conv 8->16 k4 s2 p1, ReLU, FC 256->64, ReLU, FC 64->2 on 3x16x16",
            (s, bb) => HiddenNetwork.Cnn([3, 16, 16], [(8, 4, 2, 1), (16, 4, 2, 1)], Activation.Relu, pool: false, hidden: 64, s, bb)),
        new("cnn_3conv", [3, 12, 12], "Conv 3->8 k3 p1, Conv 8->8 k4 s2 p1, Conv 8->16 k4 s2 p1 (ReLU after each), FC 144->64, ReLU, FC 64->2 on 3x12x12",
            (s, bb) => HiddenNetwork.Cnn([3, 12, 12], [(8, 3, 1, 1), (8, 4, 2, 1), (16, 4, 2, 1)], Activation.Relu, pool: false, hidden: 64, s, bb)),
        new("cnn_avgpool", [1, 12, 12], "Conv 1->8 k3 p1, ReLU, AvgPool 2x2, FC 288->64, ReLU, FC 64->2 on 1x12x12",
            (s, bb) => HiddenNetwork.Cnn([1, 12, 12], [(8, 3, 1, 1)], Activation.Relu, pool: true, hidden: 64, s, bb)),
        new("cnn_sigmoid", [3, 8, 8], "Conv 3->8 k3, Sigmoid, Conv 8->8 k3, Sigmoid, FC 128->32, Sigmoid, FC 32->2 on 3x8x8",
            (s, bb) => HiddenNetwork.Cnn([3, 8, 8], [(8, 3, 1, 0), (8, 3, 1, 0)], Activation.Sigmoid, pool: false, hidden: 32, s, bb)),
        new("cnn_tanh", [3, 8, 8], "Conv 3->8 k3, Tanh, Conv 8->8 k3, Tanh, FC 128->32, Tanh, FC 32->2 on 3x8x8",
            (s, bb) => HiddenNetwork.Cnn([3, 8, 8], [(8, 3, 1, 0), (8, 3, 1, 0)], Activation.Tanh, pool: false, hidden: 32, s, bb)),
        new("attention", [4, 4], "4 tokens of 4: one softmax self-attention head (Q, K, V 4->8, QK^T and AV as products of two variables), FC 32->32, ReLU, FC 32->2",
            (s, bb) => HiddenNetwork.Attention(tokens: 4, dim: 4, head: 8, hidden: 32, s, bb)),
        new("mlp_4x1000", [10], "MLP 10 -> 4 x 1000 ReLU -> 2", (s, bb) => HiddenNetwork.Mlp([10], 4, 1000, s, bb)),
    ];

    /// <summary>The family named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">an unknown name, listing the known ones.</exception>
    public static HiddenFamily Parse(string name) =>
        All.FirstOrDefault(f => f.Name == name.Trim().ToLowerInvariant())
        ?? throw new ArgumentException($"unknown family '{name}' (supported: {string.Join(", ", All.Select(f => f.Name))})");
}

/// <summary>A network over trainable float32 leaves (the graph's ops hold the leaf tensors, so Forward is differentiable in them).</summary>
public sealed class HiddenNetwork : IDisposable
{
    HiddenNetwork(ComputationGraph graph, List<TorchSharp.Modules.Parameter> parameters) { Graph = graph; Parameters = parameters; }

    /// <summary>The graph over the trainable leaves.</summary>
    public ComputationGraph Graph { get; }

    /// <summary>The trainable leaves.</summary>
    public IReadOnlyList<TorchSharp.Modules.Parameter> Parameters { get; }

    /// <summary>A copy whose parameters are detached clones (for attacks, export and proofs).</summary>
    public ComputationGraph Detached() => Graph.MapParameters(p => p.detach().clone());

    public void Dispose() { foreach (var p in Parameters) p.Dispose(); }

    sealed class Leaves
    {
        public readonly List<TorchSharp.Modules.Parameter> List = new();
        public Tensor Uniform(long[] shape, long fanIn, double scale = 1)
        {
            var bound = scale / Math.Sqrt(fanIn);
            var t = new TorchSharp.Modules.Parameter(rand(shape, dtype: ScalarType.Float32) * (2 * bound) - bound);
            List.Add(t);
            return t;
        }
    }

    /// <summary>Linear layer; <paramref name="scale"/> multiplies the fan-in uniform bound of its weights (not of its bias: the
    /// layer then acts on inputs of range 1/scale as a standard one acts on unit inputs, its hyperplanes crossing that range).</summary>
    static int Dense(GraphBuilder b, Leaves l, int x, long inF, long outF, string name, double scale = 1, double? biasBound = null) =>
        b.Add(new LinearOp(l.Uniform([outF, inF], inF, scale), l.Uniform([outF], 1, biasBound ?? 1 / Math.Sqrt(inF))), name, "hidden-cex", x);

    static Op Act(Activation a) => a switch { Activation.Relu => new ReluOp(), Activation.Sigmoid => new SigmoidOp(), _ => new TanhOp() };

    /// <summary>Input → <paramref name="layers"/> × (Linear <paramref name="width"/>, ReLU) → Linear 2.</summary>
    /// <param name="input">Per-sample input shape.</param>
    /// <param name="layers">Hidden layers.</param>
    /// <param name="width">Hidden width.</param>
    /// <param name="inputScale">Multiplies the first layer's initial weights (about 1/box radius): the boxes are small, and an
    /// unscaled network is nearly constant across one, so training could only flip a whole box, never carve a narrow
    /// violation inside it. The scale is the same for every box and says nothing about any point.</param>
    /// <param name="biasBound">Bound of the first layer's uniform initial bias (default the fan-in one): about the range of
    /// the scaled pre-activations over the region the boxes lie in, so that the first layer's hyperplanes cross it.</param>
    public static HiddenNetwork Mlp(long[] input, int layers, int width, double inputScale = 1, double? biasBound = null)
    {
        var l = new Leaves();
        var b = new GraphBuilder(input);
        int x = b.InputId;
        long inF = input.Aggregate(1L, (p, q) => p * q);
        if (input.Length != 1) x = b.Add(new ReshapeOp([inF]), "flatten", "hidden-cex", x);
        for (int i = 0; i < layers; i++)
        {
            x = Dense(b, l, x, i == 0 ? inF : width, width, $"fc{i + 1}", i == 0 ? inputScale : 1, i == 0 ? biasBound : null);
            x = b.Add(new ReluOp(), $"relu{i + 1}", "hidden-cex", x);
        }
        x = Dense(b, l, x, width, 2, "out");
        return new HiddenNetwork(b.Build(x), l.List);
    }

    /// <summary>Convolutions (channels, kernel, stride, pad) each followed by <paramref name="act"/>, optional 2x2 average pool, then FC hidden → 2.</summary>
    public static HiddenNetwork Cnn(long[] input, (int Channels, int Kernel, int Stride, int Pad)[] convs, Activation act, bool pool, int hidden, double inputScale = 1, double? biasBound = null)
    {
        var l = new Leaves();
        var b = new GraphBuilder(input);
        int x = b.InputId;
        long c = input[0];
        int k = 0;
        foreach (var (ch, ker, st, pad) in convs)
        {
            long fan = c * ker * ker;
            double sc = k == 0 ? inputScale : 1;
            x = b.Add(new ConvOp(l.Uniform([ch, c, ker, ker], fan, sc), l.Uniform([ch], fan), [st, st], [pad, pad, pad, pad], [1, 1], 1), $"conv{++k}", "hidden-cex", x);
            x = b.Add(Act(act), $"act{k}", "hidden-cex", x);
            c = ch;
        }
        if (pool) x = b.Add(new AvgPoolOp([2, 2], [2, 2], [0, 0], true, false), "avgpool", "hidden-cex", x);
        long flat = b.Nodes[x].Shape.Aggregate(1L, (p, q) => p * q);
        x = b.Add(new ReshapeOp([flat]), "flatten", "hidden-cex", x);
        x = Dense(b, l, x, flat, hidden, "fc1");
        x = b.Add(Act(act), $"act{++k}", "hidden-cex", x);
        x = Dense(b, l, x, hidden, 2, "out");
        return new HiddenNetwork(b.Build(x), l.List);
    }

    /// <summary>
    /// A one-head self-attention block over <paramref name="tokens"/> tokens of <paramref name="dim"/> features:
    /// <c>Q, K, V = x·W + b</c> (per token), scores <c>Q·Kᵀ</c> (the 1/√d scaling is left to the weights), softmax over
    /// keys, <c>A·V</c>, then a ReLU MLP head. The two products of variables are written as Concat copies, an elementwise
    /// product and a ReduceSum (the form Certify's importer gives an ONNX MatMul of two variables), because the graph
    /// has no matrix-product-of-variables node of its own; the exported file therefore has Mul/ReduceSum, not MatMul.
    /// </summary>
    public static HiddenNetwork Attention(int tokens, int dim, int head, int hidden, double inputScale = 1, double? biasBound = null)
    {
        var l = new Leaves();
        var b = new GraphBuilder([tokens, dim]);
        int x = b.InputId;
        int q = Dense(b, l, x, dim, head, "q", inputScale, biasBound), kk = Dense(b, l, x, dim, head, "k", inputScale, biasBound), v = Dense(b, l, x, dim, head, "v", inputScale, biasBound);   // [T, h]
        int Copies(int id, int n, int axis, string name) => b.Add(new ConcatOp(axis), name, "hidden-cex", Enumerable.Repeat(id, n).ToArray());
        // scores[i, j] = sum_d Q[i, d] K[j, d]
        int qe = Copies(b.Add(new ReshapeOp([tokens, 1, head]), "q_col", "hidden-cex", q), tokens, 1, "q_rows");   // [T, T, h]
        int ke = Copies(b.Add(new ReshapeOp([1, tokens, head]), "k_row", "hidden-cex", kk), tokens, 0, "k_cols");  // [T, T, h]
        int s = b.Add(new MulOp(), "qk_products", "hidden-cex", qe, ke);
        s = b.Add(new ReduceOp(ReduceKind.Sum, [2], false), "scores", "hidden-cex", s);                              // [T, T]
        int a = b.Add(new SoftmaxOp(1), "attention", "hidden-cex", s);
        // out[i, d] = sum_j A[i, j] V[j, d]
        int ae = Copies(b.Add(new ReshapeOp([tokens, tokens, 1]), "a_col", "hidden-cex", a), head, 2, "a_copies");  // [T, T, h]
        int ve = Copies(b.Add(new ReshapeOp([1, tokens, head]), "v_row", "hidden-cex", v), tokens, 0, "v_copies"); // [T, T, h]
        int o = b.Add(new MulOp(), "av_products", "hidden-cex", ae, ve);
        o = b.Add(new ReduceOp(ReduceKind.Sum, [1], false), "attended", "hidden-cex", o);                          // [T, h]
        o = b.Add(new ReshapeOp([tokens * head]), "flatten", "hidden-cex", o);
        o = Dense(b, l, o, tokens * head, hidden, "fc1");
        o = b.Add(new ReluOp(), "relu1", "hidden-cex", o);
        o = Dense(b, l, o, hidden, 2, "out");
        return new HiddenNetwork(b.Build(o), l.List);
    }
}

using Certify.Graph;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Soundness;

/// <summary>Layer layout of a generated network.</summary>
public enum Architecture
{
    /// <summary>Fully connected: input → hidden → hidden → 2 outputs.</summary>
    Mlp,
    /// <summary>One 2-d convolution over a square single-channel image, then fully connected → hidden → 2 outputs.</summary>
    Cnn,
}

/// <summary>The activation used after every hidden layer.</summary>
public enum Activation { Relu, Sigmoid, Tanh }

/// <summary>
/// A small network as a <see cref="ComputationGraph"/> over trainable float32 parameter leaves: the graph's ops hold the
/// leaf tensors themselves, so <see cref="ComputationGraph.Forward"/> is differentiable in them and an optimiser that
/// updates the leaves in place updates the graph.
/// </summary>
public sealed class PlantedNetwork : IDisposable
{
    PlantedNetwork(ComputationGraph graph, List<TorchSharp.Modules.Parameter> parameters, Architecture arch, Activation act)
    {
        Graph = graph;
        Parameters = parameters;
        Architecture = arch;
        Activation = act;
    }

    /// <summary>The graph over the trainable leaves (float32).</summary>
    public ComputationGraph Graph { get; }

    /// <summary>The trainable leaves (weights and biases).</summary>
    public IReadOnlyList<TorchSharp.Modules.Parameter> Parameters { get; }

    public Architecture Architecture { get; }
    public Activation Activation { get; }

    /// <summary>Number of scalars in one input sample.</summary>
    public int InputSize => (int)Graph.InputSize;

    /// <summary>A copy of the graph whose parameters are detached from autograd (for attacks, bounds and export).</summary>
    public ComputationGraph Detached() => Graph.MapParameters(p => p.detach());

    /// <summary>
    /// Creates a freshly initialised network with <paramref name="inputs"/> inputs and 2 outputs. For
    /// <see cref="Architecture.Cnn"/> the input is a square image <c>[1, s, s]</c> with <c>s² = inputs</c>.
    /// Weights use a fan-in scaled uniform initialisation from the current torch random state.
    /// </summary>
    /// <exception cref="ArgumentException">a CNN whose input count is not a square of at least 4, or fewer than 2 inputs.</exception>
    /// <param name="arch">Fully connected or convolutional.</param>
    /// <param name="act">The hidden layers' activation.</param>
    /// <param name="inputs">Number of inputs (a square for a CNN).</param>
    /// <param name="hidden">Width of the hidden fully connected layers.</param>
    /// <param name="channels">Channels of the convolutional layers (CNN only).</param>
    /// <param name="inputScale">Multiplies the first layer's initial weights: about 1/(box width) makes a box of that width
    /// span the activations' nonlinear range from the start, so that training can shape the function inside a small box.</param>
    public static PlantedNetwork Create(Architecture arch, Activation act, int inputs, int hidden = 32, int channels = 8, double inputScale = 1)
    {
        if (inputs < 2) throw new ArgumentException($"a network needs at least 2 inputs, got {inputs}");
        var ps = new List<TorchSharp.Modules.Parameter>();
        Tensor Leaf(long[] shape, long fanIn, double scale = 1)
        {
            var bound = scale / Math.Sqrt(fanIn);
            var t = new TorchSharp.Modules.Parameter(rand(shape, dtype: ScalarType.Float32) * (2 * bound) - bound);
            ps.Add(t);
            return t;
        }
        GraphBuilder b;
        int x;
        if (arch == Architecture.Mlp)
        {
            b = new GraphBuilder(new long[] { inputs });
            x = b.InputId;
            x = b.Add(new LinearOp(Leaf(new long[] { hidden, inputs }, inputs, inputScale), Leaf(new long[] { hidden }, inputs)), "fc1", "generated", x);
            x = b.Add(ActivationOp(act), "act1", "generated", x);
        }
        else
        {
            int side = (int)Math.Round(Math.Sqrt(inputs));
            if (side * side != inputs || side < 2)
                throw new ArgumentException($"--arch cnn needs a square input count of at least 4 (4, 9, 16, ...); got {inputs}");
            b = new GraphBuilder(new long[] { 1, side, side });
            x = b.InputId;
            // 2x2 kernel, stride 1, no padding: [1, s, s] -> [channels, s-1, s-1].
            x = b.Add(new ConvOp(Leaf(new long[] { channels, 1, 2, 2 }, 4, inputScale), Leaf(new long[] { channels }, 4),
                new long[] { 1, 1 }, new long[] { 0, 0, 0, 0 }, new long[] { 1, 1 }, 1), "conv1", "generated", x);
            x = b.Add(ActivationOp(act), "act1", "generated", x);
            long flat = channels * (side - 1) * (side - 1);
            x = b.Add(new ReshapeOp(new[] { flat }), "flatten", "generated", x);
            x = b.Add(new LinearOp(Leaf(new long[] { hidden, flat }, flat), Leaf(new long[] { hidden }, flat)), "fc1", "generated", x);
            x = b.Add(ActivationOp(act), "act2", "generated", x);
        }
        x = b.Add(new LinearOp(Leaf(new long[] { hidden, hidden }, hidden), Leaf(new long[] { hidden }, hidden)), "fc2", "generated", x);
        x = b.Add(ActivationOp(act), "act3", "generated", x);
        x = b.Add(new LinearOp(Leaf(new long[] { 2, hidden }, hidden), Leaf(new long[] { 2 }, hidden)), "out", "generated", x);
        return new PlantedNetwork(b.Build(x), ps, arch, act);
    }

    /// <summary>
    /// Data-dependent initialisation: shifts the bias of every hidden linear or convolution layer (in order) so that its
    /// pre-activations at <paramref name="point"/> are zero plus uniform noise of half-width <paramref name="noise"/>
    /// (for a convolution, the per-channel mean over positions). Every neuron's boundary then passes near the point,
    /// which lets training carve a narrow violation around it.
    /// </summary>
    public void CenterAt(double[] point, double noise)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = tensor(point, dtype: ScalarType.Float32).unsqueeze(0);
        foreach (var node in Graph.Nodes)
        {
            if (node.Id == Graph.OutputId) continue;
            Tensor? bias = node.Op switch { LinearOp l => l.Bias, ConvOp c => c.Bias, _ => null };
            if (bias is null) continue;
            var z = Graph.ForwardAll(x)[node.Id][0];                                   // [out] or [C, h, w]
            var shift = z.dim() > 1 ? z.flatten(1).mean(new long[] { 1 }) : z;
            bias.sub_(shift).add_((rand(bias.shape) * 2 - 1) * noise);
        }
    }

    /// <summary>
    /// Plants a counterexample analytically: returns a copy of <paramref name="trained"/> (a graph built by
    /// <see cref="Create"/>, whose output is a linear layer over the last hidden activation) with a ReLU "bump" beside the
    /// hidden layers, <c>t(x) = relu(1 − ‖x − p‖₁ / r)</c>, built from <c>2n</c> ReLUs <c>relu(±(x_i − p_i))</c> and one
    /// more ReLU. <c>t</c> is 1 at <paramref name="point"/> p, falls linearly to 0 at L1 distance
    /// <paramref name="radius"/> r and is exactly 0 (with zero gradient) everywhere else. <c>t</c> is concatenated to the
    /// last hidden activation and the output layer gets one more column, <c>(−amplitude, 0)</c>, so
    /// <c>y_0 − y_1</c> drops by <paramref name="amplitude"/> at p and is unchanged outside the L1 ball. The bump uses
    /// ReLUs whatever the hidden activation is.
    /// </summary>
    public static ComputationGraph WithBump(ComputationGraph trained, double[] point, double radius, double amplitude)
    {
        var outNode = trained.Output;
        if (outNode.Op is not LinearOp outOp || outNode.Inputs.Count != 1 || outNode.Shape is not [2])
            throw new ArgumentException("WithBump needs a graph whose output is a linear layer with 2 outputs");
        int n = (int)trained.InputSize;
        if (point.Length != n) throw new ArgumentException($"planted point has {point.Length} inputs, the network {n}");
        var b = new GraphBuilder(trained.InputShape, trained.Input.Name);
        // The trained layers up to the output, with the same ids (nodes are in topological order, input first).
        for (int i = 1; i < outNode.Id; i++)
        {
            var node = trained.Nodes[i];
            b.Add(node.Op.MapParameters(t => t.detach().clone()), node.Name, node.Origin, node.Inputs.ToArray());
        }
        int x = b.InputId;
        if (trained.InputShape.Length != 1) x = b.Add(new ReshapeOp(new long[] { n }), "bump_flatten", "planted", x);   // [n]
        var p = tensor(point, dtype: ScalarType.Float32);                                                                // [n]
        var eye = TorchSharp.torch.eye(n, dtype: ScalarType.Float32);
        int d = b.Add(new LinearOp(cat(new[] { eye, -eye }, 0), cat(new[] { -p, p }, 0)), "bump_offset", "planted", x); // [2n]: ±(x − p)
        d = b.Add(new ReluOp(), "bump_abs", "planted", d);                                                              // halves of |x − p|
        int t = b.Add(new LinearOp(full(1, 2 * n, (float)(-1 / radius)), ones(1, dtype: ScalarType.Float32)), "bump_level", "planted", d);
        t = b.Add(new ReluOp(), "bump", "planted", t);                                                                   // [1]
        int h = b.Add(new ConcatOp(0), "bump_concat", "planted", outNode.Inputs[0], t);                                 // [hidden + 1]
        var column = tensor(new[] { (float)-amplitude, 0f }).reshape(2, 1);
        var w = cat(new[] { outOp.Weight.detach(), column }, 1);                                                         // [2, hidden + 1]
        int y = b.Add(new LinearOp(w, outOp.Bias!.detach().clone()), outNode.Name, outNode.Origin, h);
        return b.Build(y);
    }

    static Op ActivationOp(Activation act) => act switch
    {
        Activation.Relu => new ReluOp(),
        Activation.Sigmoid => new SigmoidOp(),
        _ => new TanhOp(),
    };

    /// <summary>Parses "mlp" / "cnn".</summary>
    public static Architecture ParseArchitecture(string text) => text.Trim().ToLowerInvariant() switch
    {
        "mlp" => Architecture.Mlp,
        "cnn" => Architecture.Cnn,
        _ => throw new ArgumentException($"unknown architecture '{text}' (supported: mlp, cnn)"),
    };

    /// <summary>Parses "relu" / "sigmoid" / "tanh".</summary>
    public static Activation ParseActivation(string text) => text.Trim().ToLowerInvariant() switch
    {
        "relu" => Activation.Relu,
        "sigmoid" => Activation.Sigmoid,
        "tanh" => Activation.Tanh,
        _ => throw new ArgumentException($"unknown activation '{text}' (supported: relu, sigmoid, tanh)"),
    };

    public void Dispose() { foreach (var p in Parameters) p.Dispose(); }
}

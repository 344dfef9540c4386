using Certify.Graph;
using Certify.Operators;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Certify.Training.Models;

/// <summary>How the weights of a new network are drawn.</summary>
public enum InitScheme
{
    /// <summary>He/Kaiming normal, <c>N(0, 2/fan_in)</c>: keeps activations' scale through ReLUs (standard training).</summary>
    Kaiming,

    /// <summary>
    /// The IBP initialisation of Shi et al. (2021), <c>N(0, σ²)</c> with <c>σ = √(2π)/fan_in</c>: the expected
    /// <c>Σ|W_ij|</c> over a row is 2, so interval widths neither explode nor vanish through ReLU layers at the start of
    /// certified training.
    /// </summary>
    Ibp,
}

/// <summary>
/// The MNIST architectures Certify trains, built as <see cref="ComputationGraph"/>s over trainable leaves. Inputs are
/// raw pixels <c>[B, 1, 28, 28]</c> in [0, 1] (no normalisation layer, so epsilon is in pixel units everywhere).
/// </summary>
public static class ModelZoo
{
    /// <summary>Names accepted by <see cref="Create"/>.</summary>
    public static readonly string[] Names = ["fc", "cnn-small", "cnn7"];

    /// <summary>One line per architecture for help texts.</summary>
    public static string Describe(string name) => name switch
    {
        "fc" => "fc: 784-256-256-10 fully connected, ReLU",
        "cnn-small" => "cnn-small: Conv16(4x4,s2,p1)-Conv32(4x4,s2,p1)-FC100-FC10 (Wong & Kolter / CROWN-IBP 'small')",
        "cnn7" => "cnn7: 5 conv (32,32,64s2,64,64 3x3)-FC256-FC10: the CROWN-IBP/SABR CNN7 at half width, no BatchNorm",
        _ => throw new ArgumentException($"unknown model '{name}'; supported: {string.Join(", ", Names)}"),
    };

    /// <summary>Creates architecture <paramref name="name"/> with weights drawn by <paramref name="init"/> from <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentException">unknown name.</exception>
    public static TrainableNetwork Create(string name, InitScheme init = InitScheme.Ibp, long seed = 0)
    {
        var gen = new TorchSharp.torch.Generator((ulong)seed);
        var n = new NetBuilder(init, gen);
        switch (name)
        {
            case "fc":
                n.Flatten();
                n.Linear(256).Relu().Linear(256).Relu().Linear(10);
                break;
            case "cnn-small":
                n.Conv(16, 4, 2, 1).Relu().Conv(32, 4, 2, 1).Relu().Flatten().Linear(100).Relu().Linear(10);
                break;
            case "cnn7":
                n.Conv(32, 3, 1, 1).Relu().Conv(32, 3, 1, 1).Relu().Conv(64, 3, 2, 1).Relu()
                 .Conv(64, 3, 1, 1).Relu().Conv(64, 3, 1, 1).Relu().Flatten().Linear(256).Relu().Linear(10);
                break;
            default:
                throw new ArgumentException($"unknown model '{name}'; supported: {string.Join(", ", Names)}");
        }
        return new TrainableNetwork(name, n.Build(), n.Leaves);
    }

    /// <summary>Appends layers to a <see cref="GraphBuilder"/>, creating and initialising their parameters.</summary>
    sealed class NetBuilder(InitScheme init, TorchSharp.torch.Generator gen)
    {
        readonly GraphBuilder _b = new([1, 28, 28], "input");
        int _last;
        int _layer;
        public List<Parameter> Leaves { get; } = new();

        long[] Shape => _b.Nodes[_last].Shape;

        Tensor Weight(long[] shape, long fanIn)
        {
            double std = init == InitScheme.Ibp ? Math.Sqrt(2 * Math.PI) / fanIn : Math.Sqrt(2.0 / fanIn);
            using var noGrad = no_grad();
            var w = new Parameter(randn(shape, dtype: ScalarType.Float32, generator: gen) * std);
            Leaves.Add(w);
            return w;
        }

        Tensor Bias(long n)
        {
            var b = new Parameter(zeros(n, dtype: ScalarType.Float32));
            Leaves.Add(b);
            return b;
        }

        public NetBuilder Linear(long outFeatures)
        {
            long inFeatures = Shape[^1];
            var w = Weight([outFeatures, inFeatures], inFeatures);
            var bias = Bias(outFeatures);
            _layer++;
            _last = _b.Add(new LinearOp(w, bias), $"fc{_layer}", $"linear layer {_layer}", _last);
            return this;
        }

        public NetBuilder Conv(long outChannels, long kernel, long stride, long pad)
        {
            long inChannels = Shape[0];
            var w = Weight([outChannels, inChannels, kernel, kernel], inChannels * kernel * kernel);
            var bias = Bias(outChannels);
            _layer++;
            _last = _b.Add(new ConvOp(w, bias, [stride, stride], [pad, pad, pad, pad], [1, 1], 1), $"conv{_layer}", $"conv layer {_layer}", _last);
            return this;
        }

        public NetBuilder Relu()
        {
            _last = _b.Add(new ReluOp(), $"relu{_layer}", $"relu after layer {_layer}", _last);
            return this;
        }

        public NetBuilder Flatten()
        {
            long size = Shape.Aggregate(1L, (a, c) => a * c);
            _last = _b.Add(new ReshapeOp([size]), $"flatten{_layer}", "flatten", _last);
            return this;
        }

        public ComputationGraph Build() => _b.Build(_last);
    }
}

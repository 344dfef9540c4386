using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// N-d convolution (1-d or 2-d) over <c>[B, C, *spatial]</c>. <see cref="Weight"/> is <c>[outC, inC/groups, *kernel]</c>.
/// <see cref="Pads"/> holds begin pads for each spatial axis then end pads (ONNX order); asymmetric pads are applied
/// with an explicit zero pad before a padding-free convolution.
/// </summary>
public sealed class ConvOp(Tensor weight, Tensor? bias, long[] strides, long[] pads, long[] dilations, long groups) : Op
{
    public Tensor Weight { get; } = weight;
    public Tensor? Bias { get; } = bias;
    public long[] Strides { get; } = strides;
    /// <summary>ONNX order: begin of each spatial axis, then end of each.</summary>
    public long[] Pads { get; } = pads;
    public long[] Dilations { get; } = dilations;
    public long Groups { get; } = groups;
    public int SpatialDims => Strides.Length;
    /// <summary>True when begin and end pads agree on every axis (the common case).</summary>
    public bool SymmetricPads => Enumerable.Range(0, SpatialDims).All(i => Pads[i] == Pads[i + SpatialDims]);
    public override string Kind => "Conv";
    public override bool IsAffine => true;
    public override bool MixesInputs => true;

    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => Apply(inputs[0], Weight, Bias);

    /// <summary>The convolution with given weight and bias (bound rules reuse it with |W| or no bias).</summary>
    public Tensor Apply(Tensor x, Tensor weight, Tensor? bias)
    {
        long[] pad;
        if (SymmetricPads) pad = Pads.Take(SpatialDims).ToArray();
        else
        {
            x = nn.functional.pad(x, TorchPadOrder(Pads), TorchSharp.PaddingModes.Constant, 0);
            pad = new long[SpatialDims];
        }
        return SpatialDims switch
        {
            // 1-d runs as 2-d with a unit height so that one code path (and one bound rule) serves both.
            1 => nn.functional.conv2d(x.unsqueeze(-2), weight.unsqueeze(-2), bias, new[] { 1, Strides[0] }, new[] { 0, pad[0] }, new[] { 1, Dilations[0] }, Groups).squeeze(-2),
            2 => nn.functional.conv2d(x, weight, bias, Strides, pad, Dilations, Groups),
            3 => nn.functional.conv3d(x, weight, bias, Strides, pad, Dilations, Groups),
            _ => throw new NotSupportedException($"Conv with {SpatialDims} spatial dimensions")
        };
    }

    /// <summary>ONNX pads (begins then ends, first axis first) to torch's pad order (last axis first, begin/end pairs).</summary>
    public static long[] TorchPadOrder(long[] onnxPads)
    {
        int n = onnxPads.Length / 2;
        var p = new long[2 * n];
        for (int i = 0; i < n; i++) { p[2 * i] = onnxPads[n - 1 - i]; p[2 * i + 1] = onnxPads[2 * n - 1 - i]; }
        return p;
    }

    public override IEnumerable<Tensor> Parameters => Bias is null ? new[] { Weight } : new[] { Weight, Bias };
    public override string ParameterName(int k) => k == 0 ? "weight" : "bias";
    public override Op MapParameters(Func<Tensor, Tensor> map) => new ConvOp(map(Weight), Bias is null ? null : map(Bias), Strides, Pads, Dilations, Groups);
    public override string Describe() =>
        $"{Weight.shape[1] * Groups}->{Weight.shape[0]} k={string.Join("x", Weight.shape.Skip(2))} s={string.Join(",", Strides)} p={string.Join(",", Pads)}" + (Groups != 1 ? $" g={Groups}" : "");
}

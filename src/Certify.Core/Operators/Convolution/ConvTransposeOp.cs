using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Transposed 2-d convolution. <see cref="Weight"/> is <c>[inC, outC/groups, kH, kW]</c> (ONNX and torch layout).
/// <see cref="Pads"/> must be symmetric (begin = end); <see cref="OutputPadding"/> adds rows/columns at the end.
/// </summary>
public sealed class ConvTransposeOp(Tensor weight, Tensor? bias, long[] strides, long[] pads, long[] outputPadding, long[] dilations, long groups) : Op
{
    public Tensor Weight { get; } = weight;
    public Tensor? Bias { get; } = bias;
    public long[] Strides { get; } = strides;
    /// <summary>Symmetric pads, one per spatial axis.</summary>
    public long[] Pads { get; } = pads;
    public long[] OutputPadding { get; } = outputPadding;
    public long[] Dilations { get; } = dilations;
    public long Groups { get; } = groups;
    public override string Kind => "ConvTranspose";
    public override bool IsAffine => true;
    public override bool MixesInputs => true;
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => Apply(inputs[0], Weight, Bias);

    /// <summary>The transposed convolution with given weight and bias.</summary>
    public Tensor Apply(Tensor x, Tensor weight, Tensor? bias) => Strides.Length switch
    {
        1 => TransposedConvolution.Apply2d(x.unsqueeze(-2), weight.unsqueeze(-2), bias, new[] { 1, Strides[0] }, new[] { 0, Pads[0] },
                 new[] { 0, OutputPadding[0] }, new[] { 1, Dilations[0] }, Groups).squeeze(-2),
        2 => TransposedConvolution.Apply2d(x, weight, bias, Strides, Pads, OutputPadding, Dilations, Groups),
        _ => throw new NotSupportedException($"ConvTranspose with {Strides.Length} spatial dimensions")
    };

    public override IEnumerable<Tensor> Parameters => Bias is null ? new[] { Weight } : new[] { Weight, Bias };
    public override string ParameterName(int k) => k == 0 ? "weight" : "bias";
    public override Op MapParameters(Func<Tensor, Tensor> map) => new ConvTransposeOp(map(Weight), Bias is null ? null : map(Bias), Strides, Pads, OutputPadding, Dilations, Groups);
    public override string Describe() => $"{Weight.shape[0]}->{Weight.shape[1] * Groups} k={string.Join("x", Weight.shape.Skip(2))} s={string.Join(",", Strides)}";
}

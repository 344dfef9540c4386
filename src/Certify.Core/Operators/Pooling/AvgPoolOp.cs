using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Average pooling over <c>[B, C, *spatial]</c> (AveragePool). Symmetric pads, one per spatial axis.</summary>
public sealed class AvgPoolOp(long[] kernel, long[] strides, long[] pads, bool countIncludePad, bool ceilMode) : Op
{
    public long[] Kernel { get; } = kernel;
    public long[] Strides { get; } = strides;
    public long[] Pads { get; } = pads;
    public bool CountIncludePad { get; } = countIncludePad;
    public bool CeilMode { get; } = ceilMode;
    public override string Kind => "AvgPool";
    public override bool IsAffine => true;
    public override bool MixesInputs => true;
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => Kernel.Length switch
    {
        1 => nn.functional.avg_pool2d(inputs[0].unsqueeze(-2), new[] { 1, Kernel[0] }, new[] { 1, Strides[0] }, new[] { 0, Pads[0] }, CeilMode, CountIncludePad).squeeze(-2),
        2 => nn.functional.avg_pool2d(inputs[0], Kernel, Strides, Pads, CeilMode, CountIncludePad),
        _ => throw new NotSupportedException($"AveragePool with {Kernel.Length} spatial dimensions")
    };
    public override string Describe() => $"k={string.Join("x", Kernel)} s={string.Join(",", Strides)} p={string.Join(",", Pads)}";
}

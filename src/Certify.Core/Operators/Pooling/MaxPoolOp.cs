using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Max pooling over <c>[B, C, *spatial]</c>. Symmetric pads (padding counts as -inf), one per spatial axis.</summary>
public sealed class MaxPoolOp(long[] kernel, long[] strides, long[] pads, long[] dilations, bool ceilMode) : Op
{
    public long[] Kernel { get; } = kernel;
    public long[] Strides { get; } = strides;
    public long[] Pads { get; } = pads;
    public long[] Dilations { get; } = dilations;
    public bool CeilMode { get; } = ceilMode;
    public override string Kind => "MaxPool";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => Kernel.Length switch
    {
        1 => nn.functional.max_pool2d(inputs[0].unsqueeze(-2), new[] { 1, Kernel[0] }, new[] { 1, Strides[0] }, new[] { 0, Pads[0] }, new[] { 1, Dilations[0] }, CeilMode).squeeze(-2),
        2 => nn.functional.max_pool2d(inputs[0], Kernel, Strides, Pads, Dilations, CeilMode),
        _ => throw new NotSupportedException($"MaxPool with {Kernel.Length} spatial dimensions")
    };
    public override string Describe() => $"k={string.Join("x", Kernel)} s={string.Join(",", Strides)} p={string.Join(",", Pads)}";
}

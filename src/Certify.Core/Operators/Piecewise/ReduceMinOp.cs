using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Smallest element over sample axes (ONNX ReduceMin); axes count sample dimensions, ascending.</summary>
public sealed class ReduceMinOp(long[] axes, bool keepDims) : Op
{
    public long[] Axes { get; } = axes;
    public bool KeepDims { get; } = keepDims;
    public override string Kind => "ReduceMin";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0].amin(Axes.Select(a => a + 1).ToArray(), KeepDims);
    public override string Describe() => $"axes={string.Join(",", Axes)}" + (KeepDims ? " keepdims" : "");
}

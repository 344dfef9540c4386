using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Largest element over sample axes (ONNX ReduceMax); axes count sample dimensions, ascending.</summary>
public sealed class ReduceMaxOp(long[] axes, bool keepDims) : Op
{
    public long[] Axes { get; } = axes;
    public bool KeepDims { get; } = keepDims;
    public override string Kind => "ReduceMax";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0].amax(Axes.Select(a => a + 1).ToArray(), KeepDims);
    public override string Describe() => $"axes={string.Join(",", Axes)}" + (KeepDims ? " keepdims" : "");
}

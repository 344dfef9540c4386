using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary><c>min(max(x, Min), Max)</c>, elementwise; infinite limits mean no clipping on that side.</summary>
public sealed class ClipOp(double min, double max) : Op
{
    public double Min { get; } = min;
    public double Max { get; } = max;
    public override string Kind => "Clip";
    /// <summary>A limit may be ±∞ (no clipping on that side, ONNX's own default) but not NaN.</summary>
    public override (string Name, double Value)? NonFiniteAttribute() =>
        double.IsNaN(Min) ? ("min", double.NaN) : double.IsNaN(Max) ? ("max", double.NaN) : null;
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) =>
        clamp(inputs[0], double.IsNegativeInfinity(Min) ? null : (TorchSharp.Scalar)Min, double.IsPositiveInfinity(Max) ? null : (TorchSharp.Scalar)Max);
    public override string Describe() => $"[{Min}, {Max}]";
}

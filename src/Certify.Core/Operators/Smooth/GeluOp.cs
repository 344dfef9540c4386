using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// GELU <c>x·Φ(x) = ½·x·(1 + erf(x/√2))</c>, elementwise (ONNX Gelu with approximate="none", opset 20). Its minimum is
/// <see cref="MinimumValue"/> at <see cref="MinimumPoint"/>; it decreases before and increases after.
/// </summary>
public sealed class GeluOp : Op
{
    /// <summary>Where GELU is smallest: the root of <c>Φ(x) + x·φ(x)</c> (Newton's method in float64).</summary>
    public const double MinimumPoint = -0.7517915246935645;

    /// <summary>A value at most GELU's minimum −0.16997120747990…, rounded down.</summary>
    public const double MinimumValue = -0.1699712075;

    public override string Kind => "Gelu";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => Of(inputs[0]);

    /// <summary>The function itself, shared with its rule.</summary>
    public static Tensor Of(Tensor x) => 0.5 * x * (1 + erf(x * (1 / Math.Sqrt(2))));
}

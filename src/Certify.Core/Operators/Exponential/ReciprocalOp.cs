using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// <c>1 / x</c>, elementwise (ONNX Reciprocal, and the divisor of a Div by a variable: <c>x / y = x · (1/y)</c>).
/// </summary>
public sealed class ReciprocalOp : Op
{
    public override string Kind => "Reciprocal";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0].reciprocal();
}

using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Natural logarithm, elementwise (ONNX Log); NaN below 0 and −∞ at 0, as in ONNX.</summary>
public sealed class LogOp : Op
{
    public override string Kind => "Log";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => log(inputs[0]);
}

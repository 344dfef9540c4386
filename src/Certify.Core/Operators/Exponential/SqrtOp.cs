using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Square root, elementwise (ONNX Sqrt); NaN below 0, as in ONNX.</summary>
public sealed class SqrtOp : Op
{
    public override string Kind => "Sqrt";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => sqrt(inputs[0]);
}

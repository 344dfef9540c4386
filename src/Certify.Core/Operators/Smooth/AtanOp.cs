using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Arctangent, elementwise (ONNX Atan).</summary>
public sealed class AtanOp : Op
{
    public override string Kind => "Atan";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => atan(inputs[0]);
}

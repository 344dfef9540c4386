using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary><c>e^x</c>, elementwise (ONNX Exp).</summary>
public sealed class ExpOp : Op
{
    public override string Kind => "Exp";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => exp(inputs[0]);
}

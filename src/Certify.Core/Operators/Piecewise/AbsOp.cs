using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary><c>|x|</c>, elementwise (ONNX Abs).</summary>
public sealed class AbsOp : Op
{
    public override string Kind => "Abs";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0].abs();
}

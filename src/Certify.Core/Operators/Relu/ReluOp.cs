using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary><c>max(x, 0)</c>, elementwise.</summary>
public sealed class ReluOp : Op
{
    public override string Kind => "Relu";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => nn.functional.relu(inputs[0]);
}

using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary><c>1 / (1 + e^-x)</c>, elementwise.</summary>
public sealed class SigmoidOp : Op
{
    public override string Kind => "Sigmoid";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => sigmoid(inputs[0]);
}

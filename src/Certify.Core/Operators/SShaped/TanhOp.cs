using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Hyperbolic tangent, elementwise.</summary>
public sealed class TanhOp : Op
{
    public override string Kind => "Tanh";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => tanh(inputs[0]);
}

using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Sine, elementwise.</summary>
public sealed class SinOp : Op
{
    public override string Kind => "Sin";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => sin(inputs[0]);
}

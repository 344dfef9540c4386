using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Cosine, elementwise.</summary>
public sealed class CosOp : Op
{
    public override string Kind => "Cos";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => cos(inputs[0]);
}

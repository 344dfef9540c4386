using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Sum of two variable tensors of the same shape (residual connections). Sub(a, b) imports as Add(a, Neg(b)).</summary>
public sealed class AddOp : Op
{
    public override string Kind => "Add";
    public override int Arity => 2;
    public override bool IsAffine => true;
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0] + inputs[1];
}

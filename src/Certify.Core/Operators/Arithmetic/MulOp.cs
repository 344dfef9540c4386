using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Elementwise product of two variable tensors (nonlinear; bounded with McCormick planes).</summary>
public sealed class MulOp : Op
{
    public override string Kind => "Mul";
    public override int Arity => 2;
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0] * inputs[1];
}

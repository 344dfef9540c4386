using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>The network input (node 0). Its per-sample shape is <see cref="Shape"/>.</summary>
public sealed class InputOp(long[] shape) : Op
{
    public long[] Shape { get; } = shape;
    public override string Kind => "Input";
    public override int Arity => 0;
    public override bool IsAffine => true;
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => throw new InvalidOperationException("the input node is not computed");
    public override string Describe() => ShapeText(Shape);
}

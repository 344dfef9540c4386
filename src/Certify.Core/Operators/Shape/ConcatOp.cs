using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Concatenation of several variable tensors along sample axis <see cref="Axis"/>.</summary>
public sealed class ConcatOp(int axis) : Op
{
    public int Axis { get; } = axis;
    public override string Kind => "Concat";
    public override int Arity => -1;
    public override bool IsAffine => true;
    public override bool MovesData => true;
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => cat(inputs.ToArray(), Axis + 1);
    public override string Describe() => $"axis={Axis}";
}

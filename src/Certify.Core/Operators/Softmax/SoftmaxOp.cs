using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Softmax along sample axis <see cref="Axis"/>.</summary>
public sealed class SoftmaxOp(int axis) : Op
{
    public int Axis { get; } = axis;
    public override string Kind => "Softmax";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => softmax(inputs[0], Axis + 1);
    public override string Describe() => $"axis={Axis}";
}

using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Reshape each sample to <see cref="Shape"/> (Flatten, Reshape, Squeeze, Unsqueeze all import as this).</summary>
public sealed class ReshapeOp(long[] shape) : Op
{
    /// <summary>Per-sample target shape (no batch dim, no -1).</summary>
    public long[] Shape { get; } = shape;
    public override string Kind => "Reshape";
    public override bool IsAffine => true;
    public override bool MovesData => true;
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0].reshape(WithBatch(inputs[0], Shape));
    public override string Describe() => ShapeText(Shape);
}

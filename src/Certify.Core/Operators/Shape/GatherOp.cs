using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Selects constant <see cref="Indices"/> along sample axis <see cref="Axis"/> (ONNX Gather with constant indices).
/// With <see cref="ScalarIndex"/> the axis is removed (a 0-d index in ONNX).
/// </summary>
public sealed class GatherOp(int axis, long[] indices, bool scalarIndex) : Op
{
    public int Axis { get; } = axis;
    public long[] Indices { get; } = indices;
    public bool ScalarIndex { get; } = scalarIndex;
    public override string Kind => "Gather";
    public override bool IsAffine => true;
    /// <summary>Only without repeated indices: a repeated index copies one input element to two outputs.</summary>
    public override bool MovesData => Indices.Distinct().Count() == Indices.Length;

    public override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        var x = inputs[0];
        using var idx = tensor(Indices, device: x.device);
        var y = x.index_select(Axis + 1, idx);
        return ScalarIndex ? y.squeeze(Axis + 1) : y;
    }

    public override string Describe() => $"axis={Axis} [{string.Join(",", Indices.Take(8))}{(Indices.Length > 8 ? ",…" : "")}]";
}

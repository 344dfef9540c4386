using static TorchSharp.torch;

namespace Certify.Import.Onnx;

/// <summary>What an ONNX tensor name stands for during import: a constant or the output of a graph node.</summary>
internal abstract record OnnxValue;

/// <summary>
/// A constant known at import time (initializer, Constant, or folded). <see cref="Value"/> has the full ONNX shape and
/// is float64 (any float type), int64 (any integer type) or bool. <see cref="NonFinite"/> says where a NaN or ±∞ in it
/// came from (an initializer, or the folded node that computed it), so that an error can name it if the value ever
/// becomes a network parameter; null when every element is finite.
/// </summary>
internal sealed record ConstValue(Tensor Value, NonFiniteSource? NonFinite = null) : OnnxValue
{
    public long[] Shape => Value.shape;
    public bool IsFloat => Value.dtype == ScalarType.Float64;
}

/// <summary>
/// A variable tensor: the output of graph node <see cref="Id"/>. <see cref="Shape"/> is its ONNX shape with the batch
/// resolved to 1. When <see cref="Batched"/> the first ONNX dimension is the batch and the node's per-sample shape is
/// <c>Shape[1..]</c>; otherwise the ONNX tensor has no batch dimension (a virtual one is added in the graph) and the
/// per-sample shape is the whole <see cref="Shape"/>. Both describe the same numbers because the batch is 1.
/// </summary>
internal sealed record VarValue(int Id, long[] Shape, bool Batched) : OnnxValue
{
    public int Rank => Shape.Length;
    public long[] Sample => Batched ? Shape[1..] : Shape;
}

/// <summary>
/// Where a constant's first NaN or ±∞ came from: initializer <see cref="Initializer"/>, or else the folded node
/// <see cref="Node"/> (with op <see cref="OpType"/>) that computed it; the flat index and value are those in that constant.
/// </summary>
internal sealed record NonFiniteSource(string? Initializer, string? Node, string? OpType, long Index, double Value);

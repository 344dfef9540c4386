namespace Certify.Graph;

/// <summary>
/// One layer of the graph: an op applied to the outputs of earlier nodes. <see cref="Shape"/> is the output shape of a
/// single sample (the batch dimension is not included). Nodes are immutable and numbered in topological order.
/// </summary>
/// <param name="Id">Index in <see cref="ComputationGraph.Nodes"/>; inputs always have smaller ids.</param>
/// <param name="Name">The name of the tensor this node produces (the ONNX output name where imported).</param>
/// <param name="Op">The operator.</param>
/// <param name="Inputs">Ids of the nodes whose outputs feed this op, in operand order.</param>
/// <param name="Shape">Output shape per sample, without the batch dimension.</param>
/// <param name="Origin">Where it came from, e.g. "Gemm 'fc1'" or "Sub+Div folded", for messages.</param>
public sealed record Node(int Id, string Name, Op Op, IReadOnlyList<int> Inputs, long[] Shape, string Origin = "")
{
    /// <summary>Number of scalars in one sample's output.</summary>
    public long Size => Shape.Aggregate(1L, (a, b) => a * b);

    public override string ToString() => $"#{Id} {Name}: {Op} -> {Op.ShapeText(Shape)}";
}

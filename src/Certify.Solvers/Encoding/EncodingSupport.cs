using Certify.Graph;
using Certify.Graph.Ops;

namespace Certify.Solvers.Encoding;

/// <summary>
/// Whether <see cref="GraphEncoder"/> can encode a graph at all, decided from its operators alone, before any bound is
/// computed. The verifier asks this first: a sigmoid network used to spend about 7 s on CROWN bounds for big-M
/// constants of a model that the encoder then refused at its first Sigmoid node. The answer mirrors the encoder's
/// cases (a node the encoder refuses for its bounds, such as a Clip with min above max, still passes here: that is
/// known only from the node's parameters at encoding time, and costs nothing).
/// </summary>
public static class EncodingSupport
{
    /// <summary>
    /// Null when every node has an exact piecewise-linear encoding; otherwise why the first one that does not cannot be
    /// encoded, naming the node and its op (the same text as the encoder's <see cref="EncodingNotSupportedException"/>).
    /// </summary>
    public static string? FirstUnencodable(ComputationGraph graph)
    {
        foreach (var node in graph.Nodes.Skip(1))
            if (WhyNot(graph, node) is { } why)
                return $"node '{node.Name}' ({node.Op.Kind}{(node.Origin.Length > 0 ? ", from " + node.Origin : "")}) cannot be encoded exactly: {why}";
        return null;
    }

    static string? WhyNot(ComputationGraph graph, Node node) => node.Op switch
    {
        AddOp when node.Inputs.Any(k => graph.Nodes[k].Size != node.Size) =>
            $"operands of sizes {graph.Nodes[node.Inputs[0]].Size} and {graph.Nodes[node.Inputs[1]].Size} broadcast; only equal shapes are encoded",
        AddOp or ConcatOp or ReluOp or LeakyReluOp or ClipOp => null,
        MaxPoolOp mp => mp.Kernel.Length > 2 ? $"{mp.Kernel.Length} spatial dimensions" : null,
        InputOp => "a second input node",
        { IsAffine: true, Arity: 1 } => null,
        _ => "it is not piecewise linear; the exact back-ends encode Linear, Conv, ConvTranspose, Affine, Add, Reshape, Transpose, " +
             "Slice, Gather, Concat, Pad, AvgPool, Reduce, Relu, LeakyRelu, Clip and MaxPool",
    };
}

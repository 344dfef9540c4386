using static TorchSharp.torch;

namespace Certify.Graph;

/// <summary>
/// Builds a <see cref="ComputationGraph"/> node by node. Output shapes are inferred by running each op once on zeros
/// of its input shapes (batch 1, float64), which is exact for every op and reports shape mismatches with the node's name.
/// </summary>
public sealed class GraphBuilder
{
    readonly List<Node> _nodes = new();
    readonly string? _source;

    /// <summary>Starts a graph whose input has the per-sample shape <paramref name="inputShape"/>.</summary>
    /// <exception cref="GraphException">when the shape has a dimension below 1 or more than <see cref="ShapeLimits.MaxNodeElements"/> elements.</exception>
    public GraphBuilder(long[] inputShape, string inputName = "input", string? source = null)
    {
        if (inputShape.Any(d => d < 1) || ShapeLimits.Problem(inputShape, ShapeLimits.MaxNodeElements) is not null)
            throw new GraphException($"input '{inputName}': {ShapeLimits.Problem(inputShape, ShapeLimits.MaxNodeElements) ?? $"shape [{string.Join(", ", inputShape)}] has an empty dimension"}");
        _source = source;
        _nodes.Add(new Node(0, inputName, new Certify.Operators.InputOp(inputShape), Array.Empty<int>(), (long[])inputShape.Clone(), "input"));
    }

    /// <summary>The nodes added so far.</summary>
    public IReadOnlyList<Node> Nodes => _nodes;

    /// <summary>Id of the input node (0).</summary>
    public int InputId => 0;

    /// <summary>Adds <paramref name="op"/> applied to the given input node ids and returns the new node's id.</summary>
    /// <exception cref="GraphException">when the op does not accept the inputs' shapes, or holds a NaN or infinite
    /// parameter (Certify accepts finite parameters only, see <see cref="FiniteParameters"/>).</exception>
    public int Add(Op op, string name, string origin, params int[] inputs)
    {
        FiniteParameters.Require(op, name, origin);
        if (op.Arity >= 0 && op.Arity != inputs.Length)
            throw new GraphException($"node '{name}' ({op.Kind}) takes {op.Arity} input(s) but was given {inputs.Length}");
        foreach (var i in inputs)
            if (i < 0 || i >= _nodes.Count) throw new GraphException($"node '{name}' ({op.Kind}) refers to unknown node {i}");
        long[] shape;
        using (var scope = NewDisposeScope())
        {
            try
            {
                // Inside the try: an allocation libtorch refuses is this node's error, not an escaping ExternalException.
                var args = inputs.Select(i => (Tensor)zeros(ComputationGraph.ShapeWithBatch(1, _nodes[i].Shape), dtype: ScalarType.Float64)).ToArray();
                var y = op.MapParameters(p => p.to_type(ScalarType.Float64)).Forward(args);
                // The batch must come out as it went in: a constant of shape [0, 4] broadcast against a batch of 1 gave
                // [0, 4], which read as a sample of shape [4] made a graph whose every output is empty (the fuzzer).
                if (y.dim() == 0 || y.shape[0] != 1 || y.shape.Skip(1).Any(d => d == 0))
                    throw new GraphException($"node '{name}' ({origin}): {op} turns input shape(s) {string.Join(", ", inputs.Select(i => Op.ShapeText(_nodes[i].Shape)))} with a batch of 1 into [{string.Join(", ", y.shape)}]: an empty or re-batched output, which Certify does not support");
                shape = y.shape.Skip(1).ToArray();
            }
            catch (Exception e) when (e is not GraphException)
            {
                var shapes = string.Join(", ", inputs.Select(i => Op.ShapeText(_nodes[i].Shape)));
                throw new GraphException($"node '{name}' ({origin}): {op} cannot be applied to input shape(s) {shapes}: {FirstLine(e.Message)}");
            }
        }
        if (ShapeLimits.Problem(shape, ShapeLimits.MaxNodeElements) is { } tooBig)
            throw new GraphException($"node '{name}' ({origin}): its output {tooBig}");
        int id = _nodes.Count;
        _nodes.Add(new Node(id, name, op, inputs, shape, origin));
        return id;
    }

    /// <summary>Finishes the graph with <paramref name="outputId"/> as its output; nodes that do not reach the output are dropped.</summary>
    public ComputationGraph Build(int outputId)
    {
        var live = new bool[_nodes.Count];
        live[outputId] = true;
        live[0] = true;
        for (int i = outputId; i >= 0; i--)
            if (live[i]) foreach (var k in _nodes[i].Inputs) live[k] = true;
        var remap = new int[_nodes.Count];
        var kept = new List<Node>();
        for (int i = 0; i < _nodes.Count; i++)
        {
            if (!live[i]) { remap[i] = -1; continue; }
            remap[i] = kept.Count;
            var n = _nodes[i];
            kept.Add(n with { Id = kept.Count, Inputs = n.Inputs.Select(k => remap[k]).ToArray() });
        }
        return new ComputationGraph(kept, remap[outputId], _source);
    }

    static string FirstLine(string s) { var i = s.IndexOf('\n'); return i < 0 ? s : s[..i]; }
}

/// <summary>A graph that cannot be built: names the node and what went wrong.</summary>
public sealed class GraphException(string message) : Exception(message);

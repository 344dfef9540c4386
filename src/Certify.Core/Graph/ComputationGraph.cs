using TorchSharp;
using static TorchSharp.torch;

namespace Certify.Graph;

/// <summary>
/// An immutable computational graph of layers with one input and one output. Nodes are stored in topological order
/// (a node's inputs have smaller ids), and <see cref="Consumers"/> lists the readers of each node.
/// Build one with <see cref="GraphBuilder"/> or an importer (<c>OnnxImporter</c>, <c>NNetReader</c>). Every parameter
/// is finite: construction (mapped copies included) refuses NaN and ±∞ with a <see cref="GraphException"/> naming the
/// node (see <see cref="FiniteParameters"/>).
/// <para>
/// No graph library: the ids are a topological order by construction, so every algorithm here is a loop over ids
/// (forward in <see cref="ForwardAll(Tensor)"/>, backward in CROWN, liveness in <see cref="GraphBuilder.Build"/>), and
/// consumers are one array. Certify used to keep a QuikGraph copy of the structure, rebuilt on every copy
/// (<see cref="MapParameters"/>, <see cref="To"/>, i.e. on every bound engine's dtype conversion) and read by nothing;
/// QuikGraph's topological sorts would not serve the ONNX importer either, which must keep the file's order wherever
/// the file allows it (node ids, names and messages depend on it) and name the two nodes of a cycle in its error. The
/// dependency was dropped.
/// </para>
/// </summary>
public sealed class ComputationGraph
{
    readonly int[][] _consumers;

    internal ComputationGraph(IReadOnlyList<Node> nodes, int outputId, string? source)
    {
        // The one check every graph passes (GraphBuilder.Build, MapParameters, To): no NaN or infinite parameter.
        foreach (var n in nodes) FiniteParameters.Require(n.Op, n.Name, n.Origin);
        Nodes = nodes;
        OutputId = outputId;
        Source = source;
        var consumers = nodes.Select(_ => new List<int>()).ToArray();
        foreach (var n in nodes) foreach (var i in n.Inputs) consumers[i].Add(n.Id);
        _consumers = consumers.Select(c => c.ToArray()).ToArray();
    }

    /// <summary>All nodes in topological order; <c>Nodes[i].Id == i</c>. Node 0 is the input.</summary>
    public IReadOnlyList<Node> Nodes { get; }

    /// <summary>The input node (always id 0, an <see cref="Certify.Operators.InputOp"/>).</summary>
    public Node Input => Nodes[0];

    /// <summary>Id of the node whose output is the network's output.</summary>
    public int OutputId { get; }

    /// <summary>The output node.</summary>
    public Node Output => Nodes[OutputId];

    /// <summary>Per-sample input shape (no batch dimension).</summary>
    public long[] InputShape => Input.Shape;

    /// <summary>Per-sample output shape (no batch dimension).</summary>
    public long[] OutputShape => Output.Shape;

    /// <summary>Number of scalars in one input sample.</summary>
    public long InputSize => Input.Size;

    /// <summary>Number of scalars in one output sample.</summary>
    public long OutputSize => Output.Size;

    /// <summary>The file it was read from, if any.</summary>
    public string? Source { get; }

    /// <summary>Ids of the nodes that read the output of node <paramref name="id"/>.</summary>
    public IReadOnlyList<int> Consumers(int id) => _consumers[id];

    /// <summary>Total number of scalar parameters.</summary>
    public long ParameterCount => Nodes.Sum(n => n.Op.ParameterCount);

    /// <summary>Evaluates the graph on a batch <paramref name="x"/> of shape <c>[B, *InputShape]</c> (a flat <c>[B, InputSize]</c> is reshaped).</summary>
    public Tensor Forward(Tensor x) => ForwardAll(x, keepAll: false)[OutputId]!;

    /// <summary>Evaluates every node; element i is node i's output <c>[B, *Shape]</c>. Intermediate tensors are kept.</summary>
    public Tensor[] ForwardAll(Tensor x) => ForwardAll(x, keepAll: true)!;

    Tensor?[] ForwardAll(Tensor x, bool keepAll)
    {
        var values = new Tensor?[Nodes.Count];
        var remaining = _consumers.Select(c => c.Length).ToArray();
        values[0] = x.dim() == InputShape.Length + 1 ? x : x.reshape(ShapeWithBatch(x.shape[0], InputShape));
        for (int i = 1; i < Nodes.Count; i++)
        {
            var n = Nodes[i];
            var args = new Tensor[n.Inputs.Count];
            for (int k = 0; k < args.Length; k++) args[k] = values[n.Inputs[k]]!;
            values[i] = n.Op.Forward(args);
            if (!keepAll)
                foreach (var k in n.Inputs.Distinct())
                    if (--remaining[k] == 0 && k != OutputId && k != 0) { values[k]!.Dispose(); values[k] = null; }
        }
        return values;
    }

    /// <summary>A copy with every parameter converted to <paramref name="dtype"/> on <paramref name="device"/> (null keeps the device).</summary>
    /// <exception cref="GraphException">when a parameter overflows <paramref name="dtype"/> (e.g. 1e39 in float32).</exception>
    public ComputationGraph To(ScalarType dtype, Device? device = null)
    {
        try { return MapParameters(p => device is null ? p.to_type(dtype) : p.to(dtype, device)); }
        catch (GraphException e) { throw new GraphException($"{e.Message} (after conversion to {dtype})"); }
    }

    /// <summary>A copy with every parameter tensor replaced by <paramref name="map"/> of it (e.g. <c>p => p.detach()</c>).</summary>
    /// <exception cref="GraphException">when a mapped parameter holds NaN or ±∞.</exception>
    public ComputationGraph MapParameters(Func<Tensor, Tensor> map)
    {
        var nodes = Nodes.Select(n => n with { Op = n.Op.MapParameters(map) }).ToList();
        return new ComputationGraph(nodes, OutputId, Source);
    }

    /// <summary><c>[batch, *sample]</c>.</summary>
    public static long[] ShapeWithBatch(long batch, IReadOnlyList<long> sample)
    {
        var s = new long[sample.Count + 1];
        s[0] = batch;
        for (int i = 0; i < sample.Count; i++) s[i + 1] = sample[i];
        return s;
    }

    /// <summary>A readable listing: one line per node with op, inputs and shape.</summary>
    public override string ToString() =>
        string.Join("\n", Nodes.Select(n => $"{n.Id,4} {n.Op,-40} in=[{string.Join(",", n.Inputs)}] -> {Op.ShapeText(n.Shape)}"));
}

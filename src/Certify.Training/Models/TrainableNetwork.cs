using Certify.Graph;
using Certify.Operators;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Certify.Training.Models;

/// <summary>
/// A network being trained: float32 parameter tensors that require gradients (leaves owned here) and the
/// <see cref="ComputationGraph"/> built over those very tensors. Because the graph's Linear/Conv ops hold references to
/// the parameters, the graph is at the same time what the optimiser updates, what the bound engine bounds (with
/// gradients flowing back to the parameters) and what the exporter writes.
/// </summary>
public sealed class TrainableNetwork : IDisposable
{
    /// <summary>Creates a network over <paramref name="graph"/>, whose trainable leaves are <paramref name="parameters"/>.</summary>
    public TrainableNetwork(string architecture, ComputationGraph graph, IReadOnlyList<Parameter> parameters)
    {
        Architecture = architecture;
        Graph = graph;
        Parameters = parameters;
    }

    /// <summary>Architecture name as accepted by <see cref="ModelZoo.Create"/> (fc, cnn-small, cnn7).</summary>
    public string Architecture { get; }

    /// <summary>The graph; its Linear/Conv weights and biases are the tensors in <see cref="Parameters"/>.</summary>
    public ComputationGraph Graph { get; }

    /// <summary>The trainable tensors (float32, requires_grad), in graph order: weight then bias of each layer.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Number of scalar parameters.</summary>
    public long ParameterCount => Parameters.Sum(p => p.numel());

    /// <summary>Logits <c>[B, 10]</c> for a batch <c>[B, 1, 28, 28]</c>.</summary>
    public Tensor Forward(Tensor x) => Graph.Forward(x);

    /// <summary>
    /// A float64 copy of the graph with parameters detached from autograd, for evaluation and verification where
    /// soundness matters more than speed (float32 rounding in bounds is avoided).
    /// </summary>
    public ComputationGraph Frozen(ScalarType dtype = ScalarType.Float64) => Graph.To(dtype);

    /// <summary>
    /// Wraps a graph whose Linear/Conv parameters should be trained further (e.g. one read from a checkpoint or
    /// imported from ONNX): copies them into fresh float32 leaves and rebuilds the graph over those.
    /// </summary>
    public static TrainableNetwork FromGraph(string architecture, ComputationGraph graph)
    {
        var leaves = new List<Parameter>();
        var b = new GraphBuilder(graph.InputShape, graph.Input.Name, graph.Source);
        var map = new int[graph.Nodes.Count];
        foreach (var n in graph.Nodes.Skip(1))
        {
            var op = n.Op switch
            {
                LinearOp or ConvOp => n.Op.MapParameters(p =>
                {
                    var leaf = new Parameter(p.detach().to_type(ScalarType.Float32).clone());
                    leaves.Add(leaf);
                    return leaf;
                }),
                _ => n.Op.MapParameters(p => p.detach().to_type(ScalarType.Float32)),
            };
            map[n.Id] = b.Add(op, n.Name, n.Origin, n.Inputs.Select(i => map[i]).ToArray());
        }
        return new TrainableNetwork(architecture, b.Build(map[graph.OutputId]), leaves);
    }

    public void Dispose()
    {
        foreach (var p in Parameters) p.Dispose();
    }
}

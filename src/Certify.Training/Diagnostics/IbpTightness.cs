using Certify.Bounds;
using Certify.Graph;
using Certify.Operators;
using Certify.Training.Data;
using Certify.Training.Robustness;
using static TorchSharp.torch;

namespace Certify.Training.Diagnostics;

/// <summary>The tightness diagnostic averaged over samples, with its spread.</summary>
/// <param name="Mean">Mean over samples and output dimensions of optimal-box radius / IBP-box radius, in (0, 1].</param>
/// <param name="Min">Smallest per-sample mean.</param>
/// <param name="Max">Largest per-sample mean.</param>
/// <param name="Samples">Number of samples used.</param>
public sealed record TightnessReport(double Mean, double Min, double Max, int Samples);

/// <summary>
/// The IBP tightness of Mao et al. ("Understanding Certified Training with Interval Bound Propagation", ICLR 2024):
/// linearise the ReLU network at an input x (every ReLU replaced by its 0/1 activation mask at x) and compare, per output,
/// the radius of the optimal (exact) output box of that linear map over the ε-ball with the radius of the box IBP computes
/// for it. The optimal radius is <c>ε·Σ_j |J_ij|</c> with J the Jacobian at x; the IBP radius comes from the project's bound
/// engine run on the linearised graph. A ratio near 1 means IBP is nearly exact for the network (what IBP training drives
/// towards); standard training gives ratios far below 1 for deep or wide networks.
/// </summary>
public static class IbpTightness
{
    /// <summary>Tightness at radius <paramref name="eps"/> averaged over the first <paramref name="samples"/> images of <paramref name="data"/>.</summary>
    /// <remarks>Both boxes are for the full ε-ball (not clipped to [0, 1]): the diagnostic is a property of the network.</remarks>
    public static TightnessReport Compute(ComputationGraph graph, MnistDataset data, double eps = 0.1, int samples = 100)
    {
        var g = graph.To(ScalarType.Float64);
        var per = new List<double>();
        for (int i = 0; i < Math.Min(samples, data.Count); i++)
        {
            using var scope = NewDisposeScope();
            var x = tensor(data.Image(i).ToArray(), [1, .. graph.InputShape]).to_type(ScalarType.Float64);
            per.Add(AtPoint(g, x, eps));
        }
        return new TightnessReport(per.Average(), per.Min(), per.Max(), per.Count);
    }

    /// <summary>Mean over output dimensions of optimal / IBP radius for the network linearised at <paramref name="x"/> <c>[1, ...]</c>.</summary>
    public static double AtPoint(ComputationGraph graph, Tensor x, double eps)
    {
        var lin = Linearise(graph, x);
        long k = graph.OutputSize;
        // Jacobian rows of the linear map: one backward pass per output through a batch of k copies of x.
        var xs = x.expand([k, .. x.shape.Skip(1)]).detach().clone().requires_grad_(true);   // [k, ...]
        Tensor jac;
        using (enable_grad())
        {
            var y = lin.Forward(xs).reshape(k, k);                                          // [k, k]
            jac = autograd.grad([y.diagonal().sum()], [xs])[0].reshape(k, -1);              // [k, n]
        }
        var optimal = eps * jac.abs().sum(1);                                               // [k]
        // Layer-by-layer intervals of the output node, not the engine's IBP rows: those fold the specification back through
        // the trailing affine layers, and the linearised network is affine throughout, so the rows would be exact.
        Tensor ibp;
        using (no_grad())
        {
            var engine = new BoundEngine(lin, new BoundOptions { Method = Certify.Bounds.BoundMethod.Ibp, DType = ScalarType.Float64 });
            using var r = engine.Compute(x - eps, x + eps, null, new SubproblemInputs { NeedUpper = false });
            var box = r.Node(lin.OutputId)!.Value;
            ibp = ((box.Upper - box.Lower) / 2).reshape(k);                                   // [k]
        }
        // Outputs the linear map ignores (zero rows) have both radii 0: they count as exact.
        var ratio = where(ibp > 1e-12, optimal / ibp.clamp_min(1e-12), ones_like(ibp));
        return ratio.mean().item<double>();
    }

    /// <summary>
    /// The graph with every ReLU replaced by its activation mask at <paramref name="x"/> (an elementwise
    /// <see cref="AffineOp"/> with scale 0 or 1): the local linear map of the network around x.
    /// </summary>
    /// <exception cref="NotSupportedException">a node other than an affine op or a ReLU.</exception>
    public static ComputationGraph Linearise(ComputationGraph graph, Tensor x)
    {
        Tensor[] values;
        using (no_grad()) values = graph.ForwardAll(x);
        var b = new GraphBuilder(graph.InputShape, graph.Input.Name, graph.Source);
        var map = new int[graph.Nodes.Count];
        foreach (var n in graph.Nodes.Skip(1))
        {
            Op op = n.Op switch
            {
                ReluOp => new AffineOp((values[n.Inputs[0]][0] > 0).to_type(values[n.Inputs[0]].dtype), null),
                { IsAffine: true } => n.Op.MapParameters(p => p.detach()),
                _ => throw new NotSupportedException($"IBP tightness needs a ReLU network; node '{n.Name}' ({n.Op.Kind}) is neither affine nor a ReLU"),
            };
            map[n.Id] = b.Add(op, n.Name, n.Origin, n.Inputs.Select(i => map[i]).ToArray());
        }
        return b.Build(map[graph.OutputId]);
    }
}

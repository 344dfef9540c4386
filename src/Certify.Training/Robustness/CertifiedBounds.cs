using Certify.Bounds;
using Certify.Graph;
using static TorchSharp.torch;
using EngineMethod = Certify.Bounds.BoundMethod;

namespace Certify.Training.Robustness;

/// <summary>Which bound of the project's engine (<see cref="BoundEngine"/>) is used for a robust loss or a certificate.</summary>
public enum BoundMethod
{
    /// <summary>Interval bound propagation (the specification folded into the last affine layers).</summary>
    Ibp,
    /// <summary>CROWN's backward linear bound for the specification over IBP bounds of the intermediate layers (Zhang et al. 2020).</summary>
    CrownIbp,
    /// <summary>CROWN with CROWN intermediate bounds.</summary>
    Crown,
    /// <summary>alpha-CROWN: CROWN with optimised ReLU lower slopes (no gradient to the parameters).</summary>
    AlphaCrown,
}

/// <summary>
/// The one place where training and certified evaluation call the project's bound engine: lower bounds of the margins
/// <c>C·f(x')</c> over an input box, differentiable with respect to the graph's parameters (IBP, CROWN-IBP, CROWN).
/// CROWN-IBP is the engine's CROWN pass for the specification rows with every intermediate node's bounds supplied as
/// the engine's own IBP bounds (<see cref="SubproblemInputs.KnownBounds"/>).
/// </summary>
public static class CertifiedBounds
{
    /// <summary>
    /// Lower bounds <c>[B, S]</c> of <c>C_b · f(x')</c> over <c>lower ≤ x' ≤ upper</c> for a batch of boxes
    /// (<c>[B, ...]</c> each) and specification matrices <paramref name="spec"/> <c>[B, S, K]</c>, in the boxes' dtype.
    /// </summary>
    public static Tensor MarginLower(ComputationGraph graph, Tensor lower, Tensor upper, Tensor spec, BoundMethod method)
    {
        var dtype = lower.dtype;
        var lowerOnly = new SubproblemInputs { NeedUpper = false };
        switch (method)
        {
            case BoundMethod.Ibp:
            {
                using var r = Engine(graph, EngineMethod.Ibp, dtype).Compute(lower, upper, spec, lowerOnly);
                return r.Lower.alias();
            }
            case BoundMethod.CrownIbp:
            {
                using var ibp = Engine(graph, EngineMethod.Ibp, dtype).Compute(lower, upper, null, lowerOnly);
                var known = new Dictionary<int, Interval>();
                for (int i = 1; i < graph.Nodes.Count; i++)
                    if (i != graph.OutputId && ibp.Node(i) is { } iv) known[i] = iv;
                using var r = Engine(graph, EngineMethod.Crown, dtype).Compute(lower, upper, spec, new SubproblemInputs { KnownBounds = known, NeedUpper = false });
                return r.Lower.alias();
            }
            case BoundMethod.Crown:
            {
                using var r = Engine(graph, EngineMethod.Crown, dtype).Compute(lower, upper, spec, lowerOnly);
                return r.Lower.alias();
            }
            case BoundMethod.AlphaCrown:
            {
                using var r = Engine(graph, EngineMethod.AlphaCrown, dtype).Compute(lower, upper, spec, lowerOnly);
                return r.Lower.detach().clone();
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(method), method, null);
        }
    }

    static BoundEngine Engine(ComputationGraph graph, EngineMethod method, ScalarType dtype) =>
        new(graph, new BoundOptions { Method = method, DType = dtype });
}

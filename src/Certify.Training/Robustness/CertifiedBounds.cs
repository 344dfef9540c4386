using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Training.Robustness;

/// <summary>Which bound of the project's engine (Certify.Bounds) is used for a robust loss or a certificate.</summary>
public enum BoundMethod
{
    /// <summary>Interval bound propagation.</summary>
    Ibp,
    /// <summary>CROWN's backward linear bound for the output, with IBP bounds for the intermediate layers (Zhang et al. 2020).</summary>
    CrownIbp,
    /// <summary>CROWN with CROWN intermediate bounds.</summary>
    Crown,
    /// <summary>alpha-CROWN: CROWN with optimised ReLU lower slopes.</summary>
    AlphaCrown,
}

/// <summary>
/// The one place where training and certified evaluation call the project's bound engine: lower bounds of the margins
/// <c>C·f(x')</c> over an input box, differentiable with respect to the graph's parameters (and the box).
/// </summary>
public static class CertifiedBounds
{
    /// <summary>
    /// Lower bounds <c>[B, S]</c> of <c>C_b · f(x')</c> over <c>lower ≤ x' ≤ upper</c> for a batch of boxes
    /// (<c>[B, ...]</c> each) and specification matrices <paramref name="spec"/> <c>[B, S, K]</c>.
    /// </summary>
    public static Tensor MarginLower(ComputationGraph graph, Tensor lower, Tensor upper, Tensor spec, BoundMethod method) =>
        throw new NotSupportedException($"{method} bounds need the bound engine (Certify.Bounds), which is not merged into this branch yet");
}

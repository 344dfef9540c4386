using Certify.Bounds;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// A bound rule refuses to bound a node because its input's bounds leave the operator's domain (a divisor interval
/// that contains 0, a logarithm or square root of a value that may be negative) or its output's bounds overflow the
/// working dtype (Exp of a large upper bound). No sound finite bound exists there, and an interval of (−∞, ∞) would
/// silently turn every later bound into NaN or ±∞, so the rule stops with this exception instead; its message names
/// the node, the offending element and its bounds. It is a <see cref="NotSupportedException"/>, so every caller that
/// already reports unsupported bounding in one line does so here too, and <c>Verifier</c> answers <c>unknown</c>
/// with this message as the reason.
/// </summary>
public sealed class OperatorDomainException(string message) : NotSupportedException(message)
{
    /// <summary>
    /// Throws when <paramref name="bad"/> (a bool tensor shaped like <paramref name="l"/>, <c>[B, *shape]</c>) holds a true
    /// element; the message is "node 'n' (Kind, from origin): element j of sub-problem b has input bounds [l, u]; <paramref name="why"/>".
    /// </summary>
    public static void ThrowWhere(Node node, Tensor bad, Tensor l, Tensor u, string why)
    {
        if (!bad.any().item<bool>()) return;
        using var scope = NewDisposeScope();
        var first = bad.reshape(-1).nonzero()[0, 0].item<long>();
        long per = Math.Max(1, l.numel() / Math.Max(1, l.shape[0]));
        long batch = first / per, element = first % per;
        var lo = l.reshape(-1)[first].to_type(ScalarType.Float64).item<double>();
        var hi = u.reshape(-1)[first].to_type(ScalarType.Float64).item<double>();
        throw new OperatorDomainException($"{Describe(node)}: element {element} of sub-problem {batch} has input bounds [{G(lo)}, {G(hi)}]; {why}");
    }

    /// <summary>Throws when an output bound of <paramref name="node"/> is NaN or ±∞ (overflow in the working dtype).</summary>
    public static void RequireFinite(Node node, Interval input, Interval output)
    {
        var bad = output.Lower.isfinite().logical_and(output.Upper.isfinite()).logical_not();
        ThrowWhere(node, bad, input.Lower, input.Upper,
            $"its output bounds overflow {input.Lower.dtype} (no finite bound exists), so Certify does not bound this node");
    }

    /// <summary>"node 'name' (Kind, from origin)".</summary>
    public static string Describe(Node node) =>
        $"node '{node.Name}' ({node.Op.Kind}{(node.Origin.Length > 0 ? ", from " + node.Origin : "")})";

    static string G(double v) => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);
}

using TorchSharp;
using static TorchSharp.torch;

namespace Certify.Graph;

/// <summary>
/// Certify accepts finite parameters only. Every number an op holds — weights, biases, scales, shifts, a Pad value, a
/// LeakyRelu slope, a Pow exponent — must be finite; a Clip limit may be ±∞ (no limit, ONNX's own default) but not NaN.
/// NaN and ±∞ parameters make every bound NaN or infinite and reach the exact back-ends as coefficients they cannot
/// handle (a wrong <c>unsat</c> from SCIP, a segfault), so they are refused where parameters enter a graph (each op
/// names its parameters and its scalar attributes itself: <see cref="Op.ParameterName"/>, <see cref="Op.NonFiniteAttribute"/>):
/// <see cref="GraphBuilder.Add"/> and the <see cref="ComputationGraph"/> constructor (which every graph passes through,
/// <see cref="ComputationGraph.MapParameters"/> and <see cref="ComputationGraph.To"/> included), with a
/// <see cref="GraphException"/> naming the node, the parameter and the first bad index and value. The importers check
/// first and name the initializer, constant or node the value came from (<c>ImportException</c>, <c>NNetException</c>).
/// </summary>
public static class FiniteParameters
{
    /// <summary>A non-finite number found in an op: which parameter, its first bad flat (row-major) index and the value.</summary>
    public sealed record NonFinite(string Parameter, long Index, double Value)
    {
        public override string ToString() => $"{Parameter} holds {Text(Value)} at index {Index}";
    }

    /// <summary>"NaN", "+inf" or "-inf" (or the number itself).</summary>
    public static string Text(double v) =>
        double.IsNaN(v) ? "NaN" : double.IsPositiveInfinity(v) ? "+inf" : double.IsNegativeInfinity(v) ? "-inf" : v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The first non-finite parameter of <paramref name="op"/>, or null when all are finite.</summary>
    public static NonFinite? Find(Op op)
    {
        if (op.NonFiniteAttribute() is { } a) return new NonFinite(a.Name, 0, a.Value);
        int k = 0;
        foreach (var t in op.Parameters)
        {
            if (FirstNonFinite(t) is { } bad) return new NonFinite(op.ParameterName(k), bad.Index, bad.Value);
            k++;
        }
        return null;
    }

    /// <summary>The first non-finite element of a floating-point tensor (flat row-major index and value), or null.</summary>
    public static (long Index, double Value)? FirstNonFinite(Tensor t)
    {
        if (!t.is_floating_point() || t.numel() == 0) return null;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var flat = t.detach().reshape(-1);
        var bad = flat.isfinite().logical_not();
        if (!bad.any().ToBoolean()) return null;
        long i = bad.nonzero()[0, 0].ToInt64();
        return (i, flat[i].to_type(ScalarType.Float64).ToDouble());
    }

    /// <summary>Throws a <see cref="GraphException"/> naming node <paramref name="name"/> when <paramref name="op"/> holds a non-finite parameter.</summary>
    public static void Require(Op op, string name, string origin)
    {
        if (Find(op) is { } bad)
            throw new GraphException($"node '{name}' ({(origin.Length > 0 ? origin : op.Kind)}): {op.Kind} {bad}; Certify accepts finite parameters only");
    }
}

using Certify.Graph;

namespace Certify.Exact;

/// <summary>
/// Writes one graph node into the <see cref="PiecewiseLinearModel"/>: returns one <see cref="LinExpr"/> per output
/// element (flat, row-major) over the model's variables, adding variables and constraints through the context. The
/// expression must equal the op's output for every input in the node's input bounds; a relaxation is not allowed,
/// because the exact back-ends (MILP, SMT) decide properties with it. Registered per op type as
/// <c>OperatorDefinition.ExactEncoder</c>; null there means the op has no exact encoding.
/// </summary>
public delegate LinExpr[] ExactEncoder(IExactEncodingContext node);

/// <summary>
/// What an exact encoder sees of the node being encoded and how it adds to the model. The inputs' expressions and
/// bounds are those already encoded (interval arithmetic intersected with any bounds given from outside, e.g. CROWN's
/// or a branch-and-bound split's), so a stable ReLU costs nothing and a big-M constant is as small as the bounds allow.
/// </summary>
public interface IExactEncodingContext
{
    /// <summary>The node being encoded.</summary>
    Node Node { get; }

    /// <summary>Per-sample shape of input <paramref name="k"/>.</summary>
    long[] InputShape(int k);

    /// <summary>The expressions of input <paramref name="k"/>'s elements, flat in row-major order.</summary>
    IReadOnlyList<LinExpr> Input(int k);

    /// <summary>Lower bound of element <paramref name="j"/> of input <paramref name="k"/>.</summary>
    double InputLower(int k, int j);

    /// <summary>Upper bound of element <paramref name="j"/> of input <paramref name="k"/>.</summary>
    double InputUpper(int k, int j);

    /// <summary>The interval of <paramref name="e"/> over the current variable bounds.</summary>
    (double Lower, double Upper) Interval(LinExpr e);

    /// <summary>A new variable defined as <paramref name="expr"/> (bounded by its interval), as an expression.</summary>
    LinExpr Define(LinExpr expr, string name);

    /// <summary>
    /// <c>max(x, 0)</c> for <c>x ∈ [l, u]</c>: no constraint for a stable neuron (a phase implied only by the given
    /// bounds, e.g. a split, becomes a side constraint), a <see cref="ReluConstraint"/> for an unstable one.
    /// </summary>
    LinExpr Relu(LinExpr x, double l, double u, string name);

    /// <summary>
    /// The maximum of the elements <paramref name="window"/> of input <paramref name="k"/>; elements that can never be
    /// the maximum are dropped, and a single one left is returned as it is (else a <see cref="MaxConstraint"/>).
    /// </summary>
    LinExpr Max(int k, int[] window, string name);

    /// <summary>
    /// The exact affine map of a single-input affine op, read by <see cref="AffineProbe"/>: an output that copies one
    /// input element (scaled, shifted) is substituted, any other becomes a defined variable.
    /// </summary>
    LinExpr[] Affine();

    /// <summary>The name of output element <paramref name="j"/> in the model ("node[j]").</summary>
    string ElementName(int j);

    /// <summary>An error naming the node: "node 'n' (Op, from origin) cannot be encoded exactly: <paramref name="why"/>"; throw it.</summary>
    EncodingNotSupportedException NotSupported(string why);
}

/// <summary>Encoders shared by several operators.</summary>
public static class ExactEncoding
{
    /// <summary>Single-input affine ops (Linear, Conv, Reshape, ...): the exact sparse map read by <see cref="AffineProbe"/>.</summary>
    public static ExactEncoder Affine { get; } = node => node.Affine();

    /// <summary>An elementwise op of one input: <paramref name="f"/>(x, l, u, name) per element of the input.</summary>
    public static LinExpr[] Elementwise(IExactEncodingContext node, Func<LinExpr, double, double, string, LinExpr> f)
    {
        var src = node.Input(0);
        var outp = new LinExpr[src.Count];
        for (int j = 0; j < outp.Length; j++) outp[j] = f(src[j], node.InputLower(0, j), node.InputUpper(0, j), node.ElementName(j));
        return outp;
    }
}

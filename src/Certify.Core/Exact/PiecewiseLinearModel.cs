namespace Certify.Exact;

/// <summary>
/// A network region written as piecewise-linear constraints over continuous variables: the shared intermediate form
/// that the MILP back-end (big-M binaries), its LP relaxation and the Z3 back-end (<c>ite</c>) each translate.
/// Every variable has finite bounds that hold for every input in the box (interval arithmetic intersected with any
/// bounds given from outside), so big-M constants always exist. Built by the solvers' <c>GraphEncoder</c>, node by node,
/// from the encodings the operators declare (<see cref="ExactEncoder"/>, <c>OperatorDefinition.ExactEncoder</c>). It
/// lives in Certify.Core, with no solver dependency, so that operators can emit their part of it.
/// </summary>
public sealed class PiecewiseLinearModel
{
    readonly List<double> _lower = new(), _upper = new();
    readonly List<string> _names = new();

    /// <summary>Lower bound per variable.</summary>
    public IReadOnlyList<double> Lower => _lower;
    /// <summary>Upper bound per variable.</summary>
    public IReadOnlyList<double> Upper => _upper;
    /// <summary>Name per variable (node name and flat index), for solver dumps.</summary>
    public IReadOnlyList<string> Names => _names;
    /// <summary>Number of continuous variables.</summary>
    public int VariableCount => _lower.Count;

    /// <summary>Variables of the network input, in flat input order (the first <c>InputSize</c> variables).</summary>
    public int[] InputVars { get; set; } = Array.Empty<int>();

    /// <summary>The flattened network output, one expression per output scalar.</summary>
    public LinExpr[] Output { get; set; } = Array.Empty<LinExpr>();

    /// <summary><c>x[Var] = Expr</c>: a variable defined as an affine function of earlier ones.</summary>
    public List<(int Var, LinExpr Expr)> Definitions { get; } = new();

    /// <summary><c>Lower ≤ Expr ≤ Upper</c>: linear side constraints (e.g. a fixed ReLU phase that the interval bounds do not imply).</summary>
    public List<(LinExpr Expr, double Lower, double Upper)> Ranges { get; } = new();

    /// <summary><c>x[Var] = max(Input, 0)</c> for unstable neurons (<c>Lower &lt; 0 &lt; Upper</c> bounds of <c>Input</c>).</summary>
    public List<ReluConstraint> Relus { get; } = new();

    /// <summary><c>x[Var] = max(Inputs)</c> (max pooling windows where no element dominates).</summary>
    public List<MaxConstraint> Maxes { get; } = new();

    /// <summary>Set when interval reasoning alone shows the region is empty (e.g. contradictory split bounds).</summary>
    public string? EmptyReason { get; private set; }

    /// <summary>Records that the region is empty, keeping the first reason given.</summary>
    public void MarkEmpty(string reason) => EmptyReason ??= reason;

    /// <summary>Adds a continuous variable with the given bounds; returns its index.</summary>
    public int AddVariable(double lower, double upper, string name)
    {
        _lower.Add(lower);
        _upper.Add(upper);
        _names.Add(name);
        return _lower.Count - 1;
    }

    /// <summary>Narrows the bounds of variable <paramref name="v"/> to their intersection with [lo, hi].</summary>
    public void TightenVariable(int v, double lo, double hi)
    {
        _lower[v] = Math.Max(_lower[v], lo);
        _upper[v] = Math.Min(_upper[v], hi);
    }

    /// <summary>Interval of <paramref name="e"/> over the variable bounds.</summary>
    public (double Lower, double Upper) IntervalOf(LinExpr e) => e.Interval(_lower, _upper);

    /// <summary>
    /// The first NaN or infinite number in the model, or null when there is none: variable bounds, coefficients and
    /// constants of every expression, ReLU and max bounds must be finite; a range may be one-sided (−∞ below or +∞
    /// above) but never NaN. <c>GraphEncoder.Encode</c> refuses a model for which this is not null.
    /// </summary>
    public string? NonFiniteReason()
    {
        static bool Finite(LinExpr e) => double.IsFinite(e.Constant) && e.Coefs.All(double.IsFinite);
        for (int v = 0; v < VariableCount; v++)
            if (!double.IsFinite(_lower[v]) || !double.IsFinite(_upper[v])) return $"variable {_names[v]} has bounds [{_lower[v]}, {_upper[v]}]";
        foreach (var (v, e) in Definitions)
            if (!Finite(e)) return $"the definition of {_names[v]} ({e}) is not finite";
        foreach (var (e, lo, hi) in Ranges)
            if (!Finite(e) || double.IsNaN(lo) || double.IsNaN(hi) || double.IsPositiveInfinity(lo) || double.IsNegativeInfinity(hi))
                return $"a side constraint {lo} <= {e} <= {hi} is not finite";
        foreach (var r in Relus)
            if (!Finite(r.Input) || !double.IsFinite(r.Lower) || !double.IsFinite(r.Upper)) return $"the ReLU {_names[r.Var]} has input {r.Input} in [{r.Lower}, {r.Upper}]";
        foreach (var m in Maxes)
            if (!m.Inputs.All(Finite) || !m.Lowers.All(double.IsFinite) || !m.Uppers.All(double.IsFinite)) return $"the max group {_names[m.Var]} is not finite";
        foreach (var e in Output)
            if (!Finite(e)) return $"an output expression ({e}) is not finite";
        return null;
    }

    /// <summary>Number of binaries the MILP translation needs.</summary>
    public int BinaryCount => Relus.Count + Maxes.Sum(m => m.Inputs.Length);

    public override string ToString() =>
        $"{VariableCount} variables, {Definitions.Count} definitions, {Relus.Count} unstable ReLUs, {Maxes.Count} max groups";
}

/// <summary><c>x[Var] = max(Input, 0)</c> where <c>Input ∈ [Lower, Upper]</c> and <c>Lower &lt; 0 &lt; Upper</c>.</summary>
public sealed record ReluConstraint(int Var, LinExpr Input, double Lower, double Upper);

/// <summary><c>x[Var] = max_k Inputs[k]</c> with <c>Inputs[k] ∈ [Lowers[k], Uppers[k]]</c>.</summary>
public sealed record MaxConstraint(int Var, LinExpr[] Inputs, double[] Lowers, double[] Uppers);

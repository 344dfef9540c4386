namespace Certify.Exact;

/// <summary>
/// A sparse affine expression <c>Σ Coefs[k]·x[Vars[k]] + Constant</c> over the continuous variables of a
/// <see cref="PiecewiseLinearModel"/>. Immutable; the value of one scalar of a graph node is one of these.
/// </summary>
public sealed class LinExpr
{
    /// <summary>Variable indices, distinct.</summary>
    public int[] Vars { get; }
    /// <summary>Coefficients, parallel to <see cref="Vars"/>; no zeros.</summary>
    public double[] Coefs { get; }
    /// <summary>The constant term.</summary>
    public double Constant { get; }

    public LinExpr(int[] vars, double[] coefs, double constant)
    {
        Vars = vars;
        Coefs = coefs;
        Constant = constant;
    }

    /// <summary>The constant <paramref name="c"/>.</summary>
    public static LinExpr Const(double c) => new(Array.Empty<int>(), Array.Empty<double>(), c);

    /// <summary>The single variable <paramref name="v"/>.</summary>
    public static LinExpr Var(int v) => new(new[] { v }, new[] { 1.0 }, 0);

    /// <summary>Number of variable terms.</summary>
    public int TermCount => Vars.Length;

    /// <summary>True when the expression has no variable term.</summary>
    public bool IsConstant => Vars.Length == 0;

    /// <summary><c>a·this + b</c>.</summary>
    public LinExpr Scale(double a, double b = 0)
    {
        if (a == 0) return Const(b);
        var c = new double[Coefs.Length];
        for (int k = 0; k < c.Length; k++) c[k] = a * Coefs[k];
        return new LinExpr(Vars, c, a * Constant + b);
    }

    /// <summary>The sum <c>Σ weights[i]·exprs[i] + constant</c>, with like terms merged.</summary>
    public static LinExpr Combine(IReadOnlyList<LinExpr> exprs, IReadOnlyList<double> weights, double constant)
    {
        var acc = new Dictionary<int, double>();
        double cst = constant;
        for (int i = 0; i < exprs.Count; i++)
        {
            double w = weights[i];
            if (w == 0) continue;
            var e = exprs[i];
            cst += w * e.Constant;
            for (int k = 0; k < e.Vars.Length; k++)
            {
                acc.TryGetValue(e.Vars[k], out var old);
                acc[e.Vars[k]] = old + w * e.Coefs[k];
            }
        }
        var vars = acc.Where(kv => kv.Value != 0).Select(kv => kv.Key).OrderBy(v => v).ToArray();
        return new LinExpr(vars, vars.Select(v => acc[v]).ToArray(), cst);
    }

    /// <summary><c>a + b</c>.</summary>
    public static LinExpr operator +(LinExpr a, LinExpr b) => Combine(new[] { a, b }, new[] { 1.0, 1.0 }, 0);

    /// <summary><c>a - b</c>.</summary>
    public static LinExpr operator -(LinExpr a, LinExpr b) => Combine(new[] { a, b }, new[] { 1.0, -1.0 }, 0);

    /// <summary>Value at the assignment <paramref name="x"/> (indexed by variable).</summary>
    public double Evaluate(IReadOnlyList<double> x)
    {
        double s = Constant;
        for (int k = 0; k < Vars.Length; k++) s += Coefs[k] * x[Vars[k]];
        return s;
    }

    /// <summary>
    /// Interval of the expression given a box on the variables (interval arithmetic), widened outward by a relative
    /// 1e-12 plus 1e-12 so that float64 rounding in the sum can never make the interval too narrow.
    /// </summary>
    public (double Lower, double Upper) Interval(IReadOnlyList<double> lower, IReadOnlyList<double> upper)
    {
        double lo = Constant, hi = Constant, mag = Math.Abs(Constant);
        for (int k = 0; k < Vars.Length; k++)
        {
            double c = Coefs[k], l = lower[Vars[k]], u = upper[Vars[k]];
            if (c > 0) { lo += c * l; hi += c * u; }
            else { lo += c * u; hi += c * l; }
            mag += Math.Abs(c) * Math.Max(Math.Abs(l), Math.Abs(u));
        }
        double slack = 1e-12 * (1 + mag);
        return (lo - slack, hi + slack);
    }

    public override string ToString() =>
        string.Join(" + ", Vars.Select((v, k) => $"{Coefs[k]}*v{v}")) + (Constant != 0 || Vars.Length == 0 ? $" + {Constant}" : "");
}

namespace Certify.Checker;

/// <summary>
/// Forward-mode linear bounds: for every neuron v of a step's output, two affine functions of the input x with
/// <c>v ≥ Lo·x + lo</c> and <c>−v ≥ Ng·x + ng</c> on the whole leaf box. They are sometimes tighter than back-substitution
/// (the engine intersects both), and cheap when the input is small. Every coefficient is a sum of nonnegative multiples
/// of earlier coefficients, enclosed in an interval, kept at one end, and the difference charged to the constant against
/// the input's range (<see cref="LeafBounds"/>'s residual rule), so each function is a true bound in real arithmetic.
/// </summary>
sealed class ForwardBounds
{
    readonly double[] _xl, _xu;
    double[][] _lo, _ng;      // per neuron: n input coefficients, then the constant (index n)

    public ForwardBounds(double[] xl, double[] xu)
    {
        _xl = xl; _xu = xu;
        int n = xl.Length;
        _lo = new double[n][]; _ng = new double[n][];
        for (int i = 0; i < n; i++)
        {
            _lo[i] = new double[n + 1]; _lo[i][i] = 1;
            _ng[i] = new double[n + 1]; _ng[i][i] = -1;
        }
    }

    /// <summary>Advances through a linear step whose divisors are all 1.</summary>
    public void Affine(SparseRows m)
    {
        int outs = m.Bias.Length;
        var lo = new double[outs][]; var ng = new double[outs][];
        for (int i = 0; i < outs; i++)
        {
            var terms = new List<(double, double[])>(); var negTerms = new List<(double, double[])>();
            for (int e = m.Start[i]; e < m.Start[i + 1]; e++)
            {
                int j = m.Cols[e]; double w = m.Vals[e];
                if (w > 0) { terms.Add((w, _lo[j])); negTerms.Add((w, _ng[j])); }
                else if (w < 0) { terms.Add((-w, _ng[j])); negTerms.Add((-w, _lo[j])); }
            }
            lo[i] = Combine(terms, m.Bias[i]);
            ng[i] = Combine(negTerms, -m.Bias[i]);
        }
        _lo = lo; _ng = ng;
    }

    /// <summary>
    /// Advances through a ReLU (or LeakyReLU) whose input neurons lie in [l, u] (true bounds); lower slopes a or 1 (null:
    /// adaptive on [l, u]).
    /// </summary>
    public void Relu(ReluStep r, double[] l, double[] u, double[]? lowerSlopes = null)
    {
        double a = r.NegativeSlope;
        for (int i = 0; i < l.Length; i++)
        {
            if (u[i] <= 0) { _lo[i] = Scale(a, _lo[i]); _ng[i] = Scale(a, _ng[i]); continue; }   // v = a·z
            if (l[i] >= 0) continue;
            // v ≥ α·z with α ∈ {a, 1} (CROWN's choice); −v ≥ s·(−z) − t for the chord v ≤ s·z + t.
            if ((lowerSlopes?[i] ?? r.Adaptive(l[i], u[i])) != 1) _lo[i] = Scale(a, _lo[i]);
            var (s, t) = r.Chord(l[i], u[i]);
            _ng[i] = Combine(new List<(double, double[])> { (s, _ng[i]) }, -t);
        }
    }

    double[] Scale(double a, double[] f) => a == 0 ? new double[_xl.Length + 1] : Combine(new List<(double, double[])> { (a, f) }, 0);

    /// <summary>Lower bound of neuron i over the box (<paramref name="negated"/>: of −v, i.e. minus an upper bound).</summary>
    public double Min(int i, bool negated)
    {
        var f = negated ? _ng[i] : _lo[i];
        int n = _xl.Length;
        double m = f[n];
        for (int k = 0; k < n; k++)
            if (f[k] != 0) m = Outward.AddDown(m, Outward.MulDown(f[k], f[k] > 0 ? _xl[k] : _xu[k]));
        return m;
    }

    /// <summary>Σ scale·f + constant, each scale ≥ 0, as one function that bounds the sum from below on the box.</summary>
    double[] Combine(List<(double Scale, double[] F)> terms, double constant)
    {
        int n = _xl.Length;
        var cl = new double[n]; var cu = new double[n];
        double c = constant;
        foreach (var (s, f) in terms)
        {
            c = Outward.AddDown(c, Outward.MulDown(s, f[n]));
            for (int k = 0; k < n; k++)
            {
                if (f[k] == 0) continue;
                cl[k] = Outward.AddDown(cl[k], Outward.MulDown(s, f[k]));
                cu[k] = Outward.AddUp(cu[k], Outward.MulUp(s, f[k]));
            }
        }
        var r = new double[n + 1];
        for (int k = 0; k < n; k++)
        {
            if (cl[k] == cu[k]) { r[k] = cl[k]; continue; }
            double w = Outward.SubUp(cu[k], cl[k]);
            double keepLow = Outward.ProductLower(0, w, _xl[k], _xu[k]);
            double keepHigh = Outward.ProductLower(-w, 0, _xl[k], _xu[k]);
            if (keepLow >= keepHigh) { r[k] = cl[k]; c = Outward.AddDown(c, keepLow); }
            else { r[k] = cu[k]; c = Outward.AddDown(c, keepHigh); }
        }
        r[n] = c;
        return r;
    }
}

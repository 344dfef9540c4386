namespace Certify.Checker;

/// <summary>
/// The checker's own bounds over one leaf's input box, in outward-rounded double arithmetic (<see cref="Outward"/>).
/// <para>
/// Linear bounds are back-substituted from a step's output to the input, CROWN style, as a linear form
/// <c>Σ λ_i v_i + μ</c> that bounds the quantity from below for every v the earlier steps allow. The λ are plain
/// doubles; where the exact coefficient (a sum of products) is not a double, the checker encloses it in an interval,
/// keeps one end as λ, and charges the difference times the variable's range to μ (the <i>residual</i>). μ only ever
/// moves down. So the result is a lower bound in real arithmetic, whatever the rounding of each step.
/// </para>
/// <para>
/// ReLU and LeakyReLU (negative slope a ∈ [0, 1]): for v = f(z) with z ∈ [l, u] (the checker's own bounds of the node's
/// input, clamped at 0 by the leaf's neuron splits): u ≤ 0 gives v = a·z, l ≥ 0 gives v = z, and otherwise v ≥ α·z for
/// any α ∈ [a, 1] (used when λ &gt; 0), and v ≤ s·z + t for the chord (used when λ &lt; 0), with t rounded so that the
/// line lies above f at both ends, hence on all of [l, u] (f is convex).
/// </para>
/// </summary>
sealed class LeafBounds
{
    readonly PlainNetwork _net;
    readonly double[] _xl, _xu;
    // Enclosures of every step's output; index k+1 for step k, index 0 the input box.
    readonly double[][] _lo, _hi;

    LeafBounds(PlainNetwork net, double[] xl, double[] xu, double[][] lo, double[][] hi)
    { _net = net; _xl = xl; _xu = xu; _lo = lo; _hi = hi; }

    /// <summary>Starts at the input box; call <see cref="IntervalStep"/> to extend the enclosures step by step.</summary>
    public static LeafBounds Start(PlainNetwork net, double[] xl, double[] xu)
    {
        var lo = new double[net.Steps.Count + 1][];
        var hi = new double[net.Steps.Count + 1][];
        lo[0] = xl; hi[0] = xu;
        return new LeafBounds(net, xl, xu, lo, hi);
    }

    public (double[] Lo, double[] Hi) Enclosure(int step) => (_lo[step + 1], _hi[step + 1]);

    /// <summary>The enclosure of step <paramref name="step"/>'s input: its sources' outputs, concatenated.</summary>
    (double[] L, double[] U) InputOf(int step)
    {
        var from = _net.Inputs[step];
        if (from.Length == 1) return (_lo[from[0] + 1], _hi[from[0] + 1]);
        return (from.SelectMany(i => _lo[i + 1]).ToArray(), from.SelectMany(i => _hi[i + 1]).ToArray());
    }

    /// <summary>
    /// Enclosures through step <paramref name="step"/> (interval arithmetic on its inputs' enclosures). A ReLU step's input
    /// enclosure must have been replaced by its accepted claims first (<see cref="Tighten"/>).
    /// </summary>
    public void IntervalStep(int step)
    {
        var (l, u) = InputOf(step);
        switch (_net.Steps[step])
        {
            case LinearStep a:
            {
                var m = _net.Rows[step]!;
                var yl = new double[a.Out]; var yu = new double[a.Out];
                for (int i = 0; i < a.Out; i++)
                {
                    double sl = m.Bias[i], su = m.Bias[i];
                    for (int e = m.Start[i]; e < m.Start[i + 1]; e++)
                    {
                        int j = m.Cols[e]; double w = m.Vals[e];
                        sl = Outward.AddDown(sl, Outward.MulDown(w, w > 0 ? l[j] : u[j]));
                        su = Outward.AddUp(su, Outward.MulUp(w, w > 0 ? u[j] : l[j]));
                    }
                    if (m.Divisor is { } d && d[i] != 1) { sl = Outward.DivDown(sl, d[i]); su = Outward.DivUp(su, d[i]); }
                    yl[i] = sl; yu[i] = su;
                }
                _lo[step + 1] = yl; _hi[step + 1] = yu;
                break;
            }
            case ReluStep r:
                // Nondecreasing: the ends map to the ends (a·v rounded outward below 0).
                _lo[step + 1] = l.Select(v => v >= 0 ? v : Outward.MulDown(r.NegativeSlope, v)).ToArray();
                _hi[step + 1] = u.Select(v => v >= 0 ? v : Outward.MulUp(r.NegativeSlope, v)).ToArray();
                break;
            case SigmoidStep:
                _lo[step + 1] = l.Select(v => SigmoidStep.Value(v).Lo).ToArray();   // increasing
                _hi[step + 1] = u.Select(v => SigmoidStep.Value(v).Hi).ToArray();
                _lines[step] = l.Select((zl, i) => (SigmoidStep.Line(zl, u[i], false), SigmoidStep.Line(zl, u[i], true))).ToArray();
                break;
            case MaxPoolStep m:
                _lo[step + 1] = m.Windows.Select(w => w.Max(j => l[j])).ToArray();
                _hi[step + 1] = m.Windows.Select(w => w.Max(j => u[j])).ToArray();
                break;
            default: throw new CertificateException($"step '{_net.Steps[step].Name}': no rule");
        }
    }

    readonly Dictionary<int, double[]> _hints = new();

    /// <summary>
    /// Lower slopes to use at ReLU step <paramref name="step"/> where a pass is given none: the adaptive choice taken on
    /// the certificate's claimed bounds rather than on the checker's own. Any slope in [0, 1] is sound; this one repeats
    /// the producer's choice, since CROWN is not monotone in its bounds (slightly tighter bounds can flip a slope and give
    /// a looser result).
    /// </summary>
    public void Hint(int step, double[] slopes) => _hints[step] = slopes;

    public double[]? HintAt(int step) => _hints.GetValueOrDefault(step);

    /// <summary>Replaces the enclosure of step <paramref name="step"/>'s output by accepted (true) bounds.</summary>
    public void Tighten(int step, double[] lower, double[] upper)
    {
        _lo[step + 1] = lower; _hi[step + 1] = upper;
    }

    /// <summary>Per sigmoid step, its lower and upper lines per neuron, chosen on its input enclosure when the step is reached.</summary>
    readonly Dictionary<int, ((double S, double T), (double S, double T))[]> _lines = new();

    readonly Dictionary<int, sbyte[]> _signs = new();

    /// <summary>
    /// The leaf's neuron splits at ReLU step <paramref name="step"/> (per neuron: −1 for input ≤ 0, +1 for ≥ 0, 0 free):
    /// what beta multipliers apply to (<see cref="Lower"/>). The enclosures must already be clamped by them.
    /// </summary>
    public void Signs(int step, sbyte[] signs) => _signs[step] = signs;

    /// <summary>
    /// A lower bound, over the leaf, of <c>Σ lam_i v_i</c> where v is the output of step <paramref name="top"/>.
    /// <paramref name="slopes"/> gives, per step index of a ReLU, its lower slopes (null: CROWN's adaptive choice).
    /// <paramref name="betas"/> gives, per step index of a ReLU, multipliers β ≥ 0 of its split neurons' constraints
    /// <c>s·z ≥ 0</c> (see <see cref="Signs"/>): on the leaf, <c>f ≥ f − β·s·z</c>, so subtracting the term from the
    /// coefficient of z keeps a lower bound (beta-CROWN's Lagrangian; any β ≥ 0 is valid, negatives are read as 0).
    /// Needs the enclosures of steps below <paramref name="top"/> (the ReLU inputs' being accepted claims).
    /// </summary>
    public double Lower(double[] lam, int top, Func<int, double[]?>? slopes = null, Func<int, double[]?>? betas = null)
    {
        // Per step output (index k+1; 0 the input), the enclosure [cl, cu] of its coefficient, summed over every path from
        // the top (a residual block's two branches add up here); null while no path has reached it. Steps are visited in
        // reverse order, so all of a step's consumers are done before its coefficients are read.
        double mu = 0;
        var cl = new double[]?[top + 2]; var cu = new double[]?[top + 2];
        cl[top + 1] = lam; cu[top + 1] = lam;
        for (int k = top; k >= 0; k--)
        {
            if (cl[k + 1] is not { } kl) continue;
            var lamK = Coefficients(kl, cu[k + 1]!, _lo[k + 1], _hi[k + 1], ref mu);
            var (l, u) = InputOf(k);    // the step's input enclosure
            var gl = new double[l.Length]; var gu = new double[l.Length];   // enclosures of the input's coefficients
            switch (_net.Steps[k])
            {
                case LinearStep:
                    LinearBack(_net.Rows[k]!, lamK, gl, gu, ref mu);
                    break;
                case ReluStep r:
                    ReluBack(r, lamK, l, u, gl, gu, slopes?.Invoke(k) ?? _hints.GetValueOrDefault(k), betas?.Invoke(k), _signs.GetValueOrDefault(k), ref mu);
                    break;
                case MaxPoolStep m:
                    MaxPoolBack(m, lamK, l, u, gl, gu, ref mu);
                    break;
                case SigmoidStep:
                {
                    var lines = _lines[k];
                    for (int i = 0; i < lamK.Length; i++)
                    {
                        double li = lamK[i];
                        if (li == 0) continue;
                        var (s, t) = li > 0 ? lines[i].Item1 : lines[i].Item2;   // v ≥ s·z + t below, v ≤ s·z + t above
                        mu = Outward.AddDown(mu, Outward.MulDown(li, t));
                        (gl[i], gu[i]) = (Outward.MulDown(li, s), Outward.MulUp(li, s));
                    }
                    break;
                }
                default: throw new CertificateException($"step '{_net.Steps[k].Name}': no rule");
            }
            // Hand the input's coefficients to the steps it is made of (one, or the parts of a concatenation).
            int offset = 0;
            foreach (int source in _net.Inputs[k])
            {
                int size = source < 0 ? _xl.Length : _net.Steps[source].OutputSize;
                if (cl[source + 1] is not { } al) { cl[source + 1] = gl[offset..(offset + size)]; cu[source + 1] = gu[offset..(offset + size)]; }
                else
                {
                    var au = cu[source + 1]!;
                    for (int j = 0; j < size; j++) { al[j] = Outward.AddDown(al[j], gl[offset + j]); au[j] = Outward.AddUp(au[j], gu[offset + j]); }
                }
                offset += size;
            }
        }
        if (cl[0] is null) return mu;
        var lam0 = Coefficients(cl[0]!, cu[0]!, _xl, _xu, ref mu);
        for (int j = 0; j < lam0.Length; j++)
            if (lam0[j] != 0) mu = Outward.AddDown(mu, Outward.MulDown(lam0[j], lam0[j] > 0 ? _xl[j] : _xu[j]));
        return mu;
    }

    /// <summary>Coefficients known to lie in [cl, cu] on variables in [vl, vu], as doubles, their rounding charged to <paramref name="mu"/>.</summary>
    static double[] Coefficients(double[] cl, double[] cu, double[] vl, double[] vu, ref double mu)
    {
        var lam = new double[cl.Length];
        for (int j = 0; j < lam.Length; j++) lam[j] = Represent(cl[j], cu[j], vl[j], vu[j], ref mu);
        return lam;
    }

    /// <summary>
    /// Back through a linear step, row by row (the transpose, applied patch by patch): row i's coefficient λ_i/D_i,
    /// enclosed, times each of its weights, added into the enclosure of that input's coefficient; λ_i·B_i/D_i into μ.
    /// </summary>
    static void LinearBack(SparseRows m, double[] lam, double[] gl, double[] gu, ref double mu)
    {
        for (int i = 0; i < lam.Length; i++)
        {
            double li = lam[i];
            if (li == 0) continue;
            double ql = li, qu = li;
            if (m.Divisor is { } d && d[i] != 1) { ql = Outward.DivDown(li, d[i]); qu = Outward.DivUp(li, d[i]); }
            if (m.Bias[i] != 0) mu = Outward.AddDown(mu, Outward.ProductLower(ql, qu, m.Bias[i], m.Bias[i]));
            for (int e = m.Start[i]; e < m.Start[i + 1]; e++)
            {
                int j = m.Cols[e]; double w = m.Vals[e];
                gl[j] = Outward.AddDown(gl[j], Outward.MulDown(w > 0 ? ql : qu, w));
                gu[j] = Outward.AddUp(gu[j], Outward.MulUp(w > 0 ? qu : ql, w));
            }
        }
    }

    /// <summary>Back through a ReLU (see the class comment), with the leaf's split multipliers where given.</summary>
    static void ReluBack(ReluStep r, double[] lam, double[] l, double[] u, double[] gl, double[] gu, double[]? alpha, double[]? beta, sbyte[]? sign, ref double mu)
    {
        for (int i = 0; i < r.Size; i++)
        {
            double li = lam[i], zl = l[i], zu = u[i];
            if (li != 0)
            {
                double s;
                if (zu <= 0) s = r.NegativeSlope;                        // v = a·z on the whole range
                else if (zl >= 0) s = 1;                                 // v = z
                else if (li > 0) s = alpha?[i] ?? r.Adaptive(zl, zu);    // v ≥ s·z, s ∈ [a, 1] (checked by the caller)
                else
                {
                    (s, double t) = r.Chord(zl, zu);                     // v ≤ s·z + t on [zl, zu]
                    mu = Outward.AddDown(mu, Outward.MulDown(li, t));
                }
                (gl[i], gu[i]) = s == 1 ? (li, li) : (Outward.MulDown(li, s), Outward.MulUp(li, s));
            }
            if (beta is not null && sign is not null && sign[i] != 0 && beta[i] > 0)
            {
                double term = sign[i] > 0 ? -beta[i] : beta[i];          // −β·s, exact
                (gl[i], gu[i]) = (Outward.AddDown(gl[i], term), Outward.AddUp(gu[i], term));
            }
        }
    }

    /// <summary>
    /// Back through max pooling, each window's inputs in [l, u]. For λ &gt; 0: v ≥ x_j for every j of the window; the one
    /// with the largest lower bound is taken. For λ &lt; 0: when one input's lower bound is at least every other's upper
    /// bound, v = x_j exactly; otherwise v ≤ max_j u_j, a constant. Windows may overlap: coefficients add up, enclosed.
    /// </summary>
    static void MaxPoolBack(MaxPoolStep m, double[] lam, double[] l, double[] u, double[] gl, double[] gu, ref double mu)
    {
        for (int i = 0; i < m.Windows.Length; i++)
        {
            double li = lam[i];
            if (li == 0) continue;
            var w = m.Windows[i];
            int best = w.MaxBy(j => l[j]);
            bool exact = w.All(j => j == best || u[j] <= l[best]);
            if (li > 0 || exact)
            {
                gl[best] = Outward.AddDown(gl[best], li);
                gu[best] = Outward.AddUp(gu[best], li);
            }
            else mu = Outward.AddDown(mu, Outward.MulDown(li, w.Max(j => u[j])));
        }
    }

    /// <summary>
    /// A coefficient known to lie in [cl, cu], on a variable in [vl, vu]: returns the end kept as the coefficient and adds
    /// to <paramref name="mu"/> a lower bound of (true − kept)·v, whichever end gives the larger one.
    /// </summary>
    static double Represent(double cl, double cu, double vl, double vu, ref double mu)
    {
        if (cl == cu) return cl;
        double w = Outward.SubUp(cu, cl);
        double keepLow = Outward.ProductLower(0, w, vl, vu);      // true − cl ∈ [0, w]
        double keepHigh = Outward.ProductLower(-w, 0, vl, vu);    // true − cu ∈ [−w, 0]
        if (keepLow >= keepHigh) { mu = Outward.AddDown(mu, keepLow); return cl; }
        mu = Outward.AddDown(mu, keepHigh); return cu;
    }
}

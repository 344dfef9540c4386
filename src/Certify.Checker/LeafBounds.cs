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
    readonly int _computed;   // steps 0.._computed-1 have enclosures

    LeafBounds(PlainNetwork net, double[] xl, double[] xu, double[][] lo, double[][] hi, int computed)
    { _net = net; _xl = xl; _xu = xu; _lo = lo; _hi = hi; _computed = computed; }

    /// <summary>Starts at the input box; call <see cref="IntervalStep"/> to extend the enclosures step by step.</summary>
    public static LeafBounds Start(PlainNetwork net, double[] xl, double[] xu)
    {
        var lo = new double[net.Steps.Count + 1][];
        var hi = new double[net.Steps.Count + 1][];
        lo[0] = xl; hi[0] = xu;
        return new LeafBounds(net, xl, xu, lo, hi, 0);
    }

    public (double[] Lo, double[] Hi) Enclosure(int step) => (_lo[step + 1], _hi[step + 1]);

    /// <summary>
    /// Enclosures through step <paramref name="step"/> (interval arithmetic on the previous ones). A ReLU step's input
    /// enclosure must have been replaced by its accepted claims first (<see cref="Tighten"/>).
    /// </summary>
    public void IntervalStep(int step)
    {
        var (l, u) = (_lo[step], _hi[step]);
        switch (_net.Steps[step])
        {
            case AffineStep a:
            {
                var yl = new double[a.Out]; var yu = new double[a.Out];
                for (int i = 0; i < a.Out; i++)
                {
                    double sl = a.B[i], su = a.B[i];
                    for (int j = 0; j < a.In; j++)
                    {
                        double w = a.W[i * a.In + j];
                        if (w == 0) continue;
                        sl = Outward.AddDown(sl, Outward.MulDown(w, w > 0 ? l[j] : u[j]));
                        su = Outward.AddUp(su, Outward.MulUp(w, w > 0 ? u[j] : l[j]));
                    }
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
        double mu = 0;
        for (int k = top; k >= 0; k--)
        {
            var (l, u) = (_lo[k], _hi[k]);    // the step's input enclosure
            switch (_net.Steps[k])
            {
                case AffineStep a:
                {
                    var next = new double[a.In];
                    var gl = new double[a.In]; var gu = new double[a.In];
                    for (int i = 0; i < a.Out; i++)
                    {
                        double li = lam[i];
                        if (li == 0) continue;
                        mu = Outward.AddDown(mu, Outward.MulDown(li, a.B[i]));
                        int row = i * a.In;
                        for (int j = 0; j < a.In; j++)
                        {
                            double w = a.W[row + j];
                            if (w == 0) continue;
                            gl[j] = Outward.AddDown(gl[j], Outward.MulDown(li, w));
                            gu[j] = Outward.AddUp(gu[j], Outward.MulUp(li, w));
                        }
                    }
                    for (int j = 0; j < a.In; j++) next[j] = Represent(gl[j], gu[j], l[j], u[j], ref mu);
                    lam = next;
                    break;
                }
                case ReluStep r:
                {
                    var alpha = slopes?.Invoke(k) ?? _hints.GetValueOrDefault(k);
                    var beta = betas?.Invoke(k);
                    var sign = beta is null ? null : _signs.GetValueOrDefault(k);
                    var next = new double[r.Size];
                    for (int i = 0; i < r.Size; i++)
                    {
                        double li = lam[i], zl = l[i], zu = u[i];
                        if (li == 0) { }
                        else if (zu <= 0) next[i] = Scaled(li, r.NegativeSlope, zl, zu, ref mu);   // v = a·z on the whole range
                        else if (zl >= 0) next[i] = li;                                           // v = z
                        else if (li > 0)
                        {
                            double s = alpha?[i] ?? r.Adaptive(zl, zu);                          // v ≥ s·z, s ∈ [a, 1] (checked by the caller)
                            next[i] = Scaled(li, s, zl, zu, ref mu);
                        }
                        else
                        {
                            var (s, t) = r.Chord(zl, zu);                                        // v ≤ s·z + t on [zl, zu]
                            mu = Outward.AddDown(mu, Outward.MulDown(li, t));
                            next[i] = Scaled(li, s, zl, zu, ref mu);
                        }
                        if (sign is not null && sign[i] != 0 && beta![i] > 0)
                        {
                            double term = sign[i] > 0 ? -beta[i] : beta[i];                      // −β·s, exact
                            next[i] = Represent(Outward.AddDown(next[i], term), Outward.AddUp(next[i], term), zl, zu, ref mu);
                        }
                    }
                    lam = next;
                    break;
                }
                case MaxPoolStep m:
                    lam = MaxPoolBack(m, lam, l, u, ref mu);
                    break;
                default: throw new CertificateException($"step '{_net.Steps[k].Name}': no rule");
            }
        }
        for (int j = 0; j < lam.Length; j++)
            if (lam[j] != 0) mu = Outward.AddDown(mu, Outward.MulDown(lam[j], lam[j] > 0 ? _xl[j] : _xu[j]));
        return mu;
    }

    /// <summary>
    /// Back through max pooling, each window's inputs in [l, u]. For λ &gt; 0: v ≥ x_j for every j of the window; the one
    /// with the largest lower bound is taken. For λ &lt; 0: when one input's lower bound is at least every other's upper
    /// bound, v = x_j exactly; otherwise v ≤ max_j u_j, a constant. Windows may overlap: coefficients add up, enclosed.
    /// </summary>
    static double[] MaxPoolBack(MaxPoolStep m, double[] lam, double[] l, double[] u, ref double mu)
    {
        var gl = new double[m.In]; var gu = new double[m.In];
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
        var next = new double[m.In];
        for (int j = 0; j < m.In; j++) next[j] = Represent(gl[j], gu[j], l[j], u[j], ref mu);
        return next;
    }

    /// <summary>The coefficient <c>li·s</c> on a variable in [vl, vu], its rounding charged to <paramref name="mu"/>.</summary>
    static double Scaled(double li, double s, double vl, double vu, ref double mu) =>
        s == 0 ? 0 : s == 1 ? li : Represent(Outward.MulDown(li, s), Outward.MulUp(li, s), vl, vu, ref mu);

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

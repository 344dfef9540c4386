namespace Certify.Checker;

/// <summary>
/// <c>y = σ(x) = 1 / (1 + e^−x)</c>, elementwise. A certificate claims no bounds for it: the checker bounds its input
/// itself and relaxes it with lines of its own.
/// <para>
/// The lines: any slope s is sound once the offset is a true bound of <c>σ(x) − s·x</c> over [l, u], so the slope is
/// only a choice (made in plain arithmetic, CROWN-like: the chord where it lies on the right side, else a tangent) and all
/// the rigour is in <see cref="Offset"/>. σ is convex on x ≤ 0 and concave on x ≥ 0, so on each piece
/// <c>h(x) = σ(x) − s·x</c> is convex or concave: the minimum of a concave piece (the maximum of a convex one) is at an
/// end; the minimum of a convex piece is at least <c>h(p) + h'(p)·(x − p)</c> for any p (a supporting line), taken at the
/// p where σ'(p) ≈ s, so that little is lost. Every value is enclosed: σ from <see cref="Math.Exp"/> widened by two ulps
/// (the one assumption: the runtime's exp is accurate to better than that, as every common libm is), σ' = σ·(1 − σ).
/// </para>
/// </summary>
public sealed record SigmoidStep(string Name, int Size) : Step(Name)
{
    public override int OutputSize => Size;
    public override double[] Run(double[] x) => x.Select(v => 1 / (1 + Math.Exp(-v))).ToArray();

    /// <summary>An enclosure of σ(x).</summary>
    public static (double Lo, double Hi) Value(double x)
    {
        double e = Math.Exp(-x);
        double el = Math.BitDecrement(Math.BitDecrement(e)), eu = Math.BitIncrement(Math.BitIncrement(e));
        double lo = Outward.DivDown(1, Outward.AddUp(1, Math.Max(eu, 0))), hi = Outward.DivUp(1, Outward.AddDown(1, Math.Max(el, 0)));
        return (Math.Max(lo, 0), Math.Min(hi, 1));
    }

    /// <summary>An enclosure of σ'(x) = σ(x)·(1 − σ(x)).</summary>
    static (double Lo, double Hi) Slope(double x)
    {
        var (sl, su) = Value(x);
        return (Outward.MulDown(sl, Outward.SubDown(1, su)), Outward.MulUp(su, Outward.SubUp(1, sl)));
    }

    /// <summary>
    /// A true lower bound (<paramref name="upper"/>: upper bound) of <c>σ(x) − s·x</c> over [l, u] (finite l ≤ u): so
    /// <c>σ(x) ≥ s·x + t</c> (≤) on [l, u].
    /// </summary>
    public static double Offset(double s, double l, double u, bool upper)
    {
        if (!double.IsFinite(l) || !double.IsFinite(u) || !double.IsFinite(s)) return upper ? double.PositiveInfinity : double.NegativeInfinity;
        // Work with g = ±h so that only minima are needed: the upper bound of h is −(lower bound of −h).
        double sign = upper ? -1 : 1;
        double best = double.PositiveInfinity;
        // The piece where g is concave (h concave, i.e. x ≥ 0, for a minimum; x ≤ 0 for a maximum): its ends.
        double cl = upper ? l : Math.Max(l, 0), cu = upper ? Math.Min(u, 0) : u;
        if (cl <= cu) best = Math.Min(End(cl), End(cu));
        // The piece where g is convex: a supporting line at p, where σ'(p) is about s.
        double vl = upper ? Math.Max(l, 0) : l, vu = upper ? u : Math.Min(u, 0);
        if (vl <= vu)
        {
            double p = Math.Clamp(Stationary(s, positive: upper), vl, vu);
            var (sl, su) = Value(p);
            var (dl, du) = Slope(p);
            // g(p) = ±(σ(p) − s·p); g'(p) = ±(σ'(p) − s), each enclosed; g(x) ≥ g(p) + g'(p)·(x − p) on the piece.
            double gp = upper ? Outward.SubDown(Outward.MulDown(s, p), su) : Outward.SubDown(sl, Outward.MulUp(s, p));
            double gl = upper ? Outward.SubDown(s, du) : Outward.SubDown(dl, s), gu = upper ? Outward.SubUp(s, dl) : Outward.SubUp(du, s);
            double line = Outward.ProductLower(gl, gu, Outward.SubDown(vl, p), Outward.SubUp(vu, p));
            best = Math.Min(best, Outward.AddDown(gp, line));
        }
        return sign * best;

        double End(double x)   // a lower bound of g(x)
        {
            var (sl, su) = Value(x);
            return upper ? Outward.SubDown(Outward.MulDown(s, x), su) : Outward.SubDown(sl, Outward.MulUp(s, x));
        }
    }

    /// <summary>The x of that sign where σ'(x) = s (plain arithmetic: only a choice); 0 when s ≥ 1/4.</summary>
    static double Stationary(double s, bool positive)
    {
        if (s >= 0.25) return 0;
        if (s <= 0) return positive ? double.MaxValue : double.MinValue;
        double r = Math.Sqrt(1 - 4 * s), v = positive ? (1 + r) / 2 : (1 - r) / 2;
        return Math.Log(v / (1 - v));
    }

    /// <summary>
    /// The lower (<paramref name="upper"/>: upper) line <c>s·x + t</c> of σ over [l, u]: among a few slopes (the chord,
    /// the tangents at both ends and the middle, and the tangent that passes through the far end, as CROWN takes it), the
    /// one whose line is best at the middle of [l, u] (the least area between line and curve), each with its rigorous
    /// offset. The slopes are choices in plain arithmetic; only the offset carries the proof.
    /// </summary>
    public static (double S, double T) Line(double l, double u, bool upper)
    {
        if (!double.IsFinite(l) || !double.IsFinite(u)) return (0, upper ? 1 : 0);   // σ ∈ [0, 1]
        double Sig(double x) => 1 / (1 + Math.Exp(-x));
        double Der(double x) => Sig(x) * (1 - Sig(x));
        var candidates = new List<double> { Der(l), Der(u), Der((l + u) / 2), 0 };
        if (u > l) candidates.Add((Sig(u) - Sig(l)) / (u - l));
        // The tangent at d through the far end e: σ(d) + σ'(d)·(e − d) = σ(e), d on the side of 0 away from e, by bisection.
        double e = upper ? l : u, a = upper ? Math.Max(0, l) : l, b = upper ? u : Math.Min(0, u);
        double Gap(double d) => Sig(d) + Der(d) * (e - d) - Sig(e);
        if (a < b && Math.Sign(Gap(a)) != Math.Sign(Gap(b)))
        {
            for (int i = 0; i < 60; i++) { double m = (a + b) / 2; if (Math.Sign(Gap(m)) == Math.Sign(Gap(a))) a = m; else b = m; }
            candidates.Add(Der((a + b) / 2));
        }
        double mid = l / 2 + u / 2;
        (double S, double T) best = (0, upper ? 1 : 0);
        foreach (double s in candidates)
        {
            if (!double.IsFinite(s)) continue;
            double t = Offset(s, l, u, upper);
            if (upper ? s * mid + t < best.S * mid + best.T : s * mid + t > best.S * mid + best.T) best = (s, t);
        }
        return best;
    }
}

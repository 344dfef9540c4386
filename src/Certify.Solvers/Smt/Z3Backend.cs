using System.Globalization;
using System.Numerics;
using Certify.Exact;
using Certify.Graph;
using Certify.Solvers.Encoding;
using Certify.Spec;
using Microsoft.Z3;

namespace Certify.Solvers.Smt;

/// <summary>
/// Exact verification in linear real arithmetic with Z3: the same <see cref="PiecewiseLinearModel"/> as the MILP
/// back-end, but every unstable ReLU is a case split on a Boolean phase (active: <c>x ≥ 0 ∧ y = x</c>, inactive: <c>x ≤ 0 ∧ y = 0</c>) and every max group a disjunction, and all
/// coefficients are the exact rationals of the float64 weights (no tolerances). Meant for small networks and as an
/// independent cross-check of the MILP back-end. Uses only Z3's classic API (the native library is 4.8.12).
/// </summary>
public sealed class Z3Backend : IExactBackend
{
    public string Name => "SMT (Z3)";

    /// <inheritdoc/>
    public ExactOutcome FindViolation(ComputationGraph graph, ExactQuery query, Deadline deadline)
    {
        if (deadline.IsPast) return ExactOutcome.Timeout($"{Name}: time limit reached before the model was encoded");
        PiecewiseLinearModel model;
        try { model = GraphEncoder.Encode(graph, query.Lower, query.Upper, query.Bounds).Model; }
        catch (EncodingNotSupportedException e) { return ExactOutcome.NotSupported(e.Message); }
        catch (NonFiniteEncodingException e) { return ExactOutcome.Unknown($"{Name}: {e.Message}"); }
        if (model.EmptyReason is not null) return ExactOutcome.Infeasible($"the region is empty: {model.EmptyReason}");

        var disjuncts = query.Unsafe.Disjuncts;
        for (int k = 0; k < disjuncts.Count; k++)
        {
            if (deadline.IsPast) return ExactOutcome.Timeout($"{Name}: time limit reached before disjunct {k + 1} of {disjuncts.Count}");
            try
            {
                using var ctx = new Context();
                using var reg = deadline.Cancellation.Register(ctx.Interrupt);
                var t = new Translation(ctx, model);
                if (deadline.IsPast) return ExactOutcome.Timeout($"{Name}: time limit reached while translating disjunct {k + 1} of {disjuncts.Count}");
                var solver = ctx.MkSolver();
                var p = ctx.MkParams();
                // The time remaining now, after the translation (not when the call started).
                p.Add("timeout", (uint)deadline.RemainingMilliseconds(1, uint.MaxValue));
                solver.Parameters = p;
                solver.Assert(t.Constraints.ToArray());
                foreach (var row in disjuncts[k].Rows)
                    solver.Assert(ctx.MkLe(t.Expr(LinExpr.Combine(model.Output, row.C, 0)), Translation.Exact(ctx, row.D - query.RequiredMargin)));
                var status = solver.Check();
                if (status == Status.UNSATISFIABLE) continue;
                if (status == Status.SATISFIABLE)
                {
                    var x = model.InputVars.Select(v => ToDouble(solver.Model.Eval(t.Vars[v], true))).ToArray();
                    return new ExactOutcome(ExactStatus.Candidate, x, k, $"{Name}: model found for disjunct {k + 1}");
                }
                var reason = solver.ReasonUnknown;
                return deadline.IsPast || reason.Contains("timeout") || reason.Contains("canceled")
                    ? ExactOutcome.Timeout($"{Name}: {reason} on disjunct {k + 1} of {disjuncts.Count}")
                    : ExactOutcome.Unknown($"{Name}: unknown ({reason}) on disjunct {k + 1}");
            }
            catch (NonFiniteEncodingException e)
            {
                return ExactOutcome.Unknown($"{Name}: disjunct {k + 1}: {e.Message}");
            }
            catch (Z3Exception e)
            {
                return ExactOutcome.Unknown($"{Name}: solver failure on disjunct {k + 1}: {e.Message}");
            }
        }
        return ExactOutcome.Infeasible($"{Name}: all {disjuncts.Count} unsafe disjunct(s) unsatisfiable ({model})");
    }

    static double ToDouble(Expr e) => e switch
    {
        RatNum r => (double)r.BigIntNumerator / (double)r.BigIntDenominator is var d && double.IsFinite(d)
            ? d : double.Parse(r.ToDecimalString(30).TrimEnd('?'), CultureInfo.InvariantCulture),
        IntNum i => (double)i.BigInteger,
        _ => throw new Z3Exception($"model value '{e}' is not a rational number"),
    };

    /// <summary>The model as Z3 terms over real constants.</summary>
    sealed class Translation
    {
        readonly Context _ctx;
        public ArithExpr[] Vars { get; }
        public List<BoolExpr> Constraints { get; } = new();

        public Translation(Context ctx, PiecewiseLinearModel model)
        {
            _ctx = ctx;
            Vars = new ArithExpr[model.VariableCount];
            for (int v = 0; v < Vars.Length; v++)
            {
                Vars[v] = ctx.MkRealConst("v" + v);
                Constraints.Add(ctx.MkGe(Vars[v], Exact(ctx, model.Lower[v])));
                Constraints.Add(ctx.MkLe(Vars[v], Exact(ctx, model.Upper[v])));
            }
            foreach (var (v, e) in model.Definitions) Constraints.Add(ctx.MkEq(Vars[v], Expr(e)));
            foreach (var (e, lo, hi) in model.Ranges)
            {
                if (!double.IsNegativeInfinity(lo)) Constraints.Add(ctx.MkGe(Expr(e), Exact(ctx, lo)));
                if (!double.IsPositiveInfinity(hi)) Constraints.Add(ctx.MkLe(Expr(e), Exact(ctx, hi)));
            }
            var zero = ctx.MkReal(0);
            for (int i = 0; i < model.Relus.Count; i++)
            {
                var r = model.Relus[i];
                var x = Expr(r.Input);
                var y = Vars[r.Var];
                // One Boolean phase per neuron: active → x ≥ 0 ∧ y = x, inactive → x ≤ 0 ∧ y = 0. (An ite term
                // would be substituted through the layers by Z3's preprocessing and blow up with depth.)
                var active = ctx.MkBoolConst("a" + i);
                Constraints.Add(ctx.MkImplies(active, ctx.MkAnd(ctx.MkGe(x, zero), ctx.MkEq(y, x))));
                Constraints.Add(ctx.MkImplies(ctx.MkNot(active), ctx.MkAnd(ctx.MkLe(x, zero), ctx.MkEq(y, zero))));
                // Implied linear facts, stated so that the arithmetic solver sees them without case splits.
                Constraints.Add(ctx.MkGe(y, x));
                Constraints.Add(ctx.MkGe(x, Exact(ctx, r.Lower)));
                Constraints.Add(ctx.MkLe(x, Exact(ctx, r.Upper)));
                // The triangle's upper face (u − l)·y ≤ u·(x − l), in exact rationals: the LP relaxation that lets the
                // arithmetic solver prune phase combinations without splitting (Z3 is hopeless on ReLU networks without it).
                var (l, u) = (Rational.Of(r.Lower), Rational.Of(r.Upper));
                Constraints.Add(ctx.MkLe(ctx.MkMul(u.Minus(l).ToZ3(ctx), Vars[r.Var]),
                                         ctx.MkSub(ctx.MkMul(u.ToZ3(ctx), x), u.Times(l).ToZ3(ctx))));
            }
            foreach (var m in model.Maxes)
            {
                var xs = m.Inputs.Select(Expr).ToArray();
                foreach (var x in xs) Constraints.Add(ctx.MkGe(Vars[m.Var], x));
                Constraints.Add(ctx.MkOr(xs.Select(x => ctx.MkEq(Vars[m.Var], x)).ToArray()));
            }
        }

        public ArithExpr Expr(LinExpr e)
        {
            var terms = new List<ArithExpr>();
            for (int k = 0; k < e.Vars.Length; k++)
                terms.Add(e.Coefs[k] == 1 ? Vars[e.Vars[k]] : _ctx.MkMul(Exact(_ctx, e.Coefs[k]), Vars[e.Vars[k]]));
            if (e.Constant != 0 || terms.Count == 0) terms.Add(Exact(_ctx, e.Constant));
            return terms.Count == 1 ? terms[0] : _ctx.MkAdd(terms.ToArray());
        }

        /// <summary>The exact rational value of a finite double, as a Z3 real numeral.</summary>
        public static RatNum Exact(Context ctx, double v) => Rational.Of(v).ToZ3(ctx);
    }

    /// <summary>An exact rational N/D (D &gt; 0), enough arithmetic to build constant coefficients exactly.</summary>
    readonly record struct Rational(BigInteger N, BigInteger D)
    {
        /// <summary>The exact value of a finite double.</summary>
        public static Rational Of(double v)
        {
            if (!double.IsFinite(v)) throw new NonFiniteEncodingException($"Z3 translation: a coefficient or bound is {v}");
            if (v == 0) return new Rational(0, 1);
            long bits = BitConverter.DoubleToInt64Bits(v);
            int exp = (int)((bits >> 52) & 0x7FF);
            long mant = bits & 0xFFFFFFFFFFFFFL;
            if (exp == 0) exp = 1; else mant |= 1L << 52;
            exp -= 1075; // |v| = mant · 2^exp
            BigInteger num = bits < 0 ? -mant : mant, den = BigInteger.One;
            if (exp > 0) num <<= exp; else den <<= -exp;
            return Reduce(num, den);
        }

        static Rational Reduce(BigInteger n, BigInteger d)
        {
            var g = BigInteger.GreatestCommonDivisor(n, d);
            if (g.IsZero) return new Rational(0, 1);
            return new Rational(n / g, d / g);
        }

        public Rational Minus(Rational o) => Reduce(N * o.D - o.N * D, D * o.D);
        public Rational Times(Rational o) => Reduce(N * o.N, D * o.D);

        public RatNum ToZ3(Context ctx) => ctx.MkReal(N.ToString(CultureInfo.InvariantCulture) + (D.IsOne ? "" : "/" + D.ToString(CultureInfo.InvariantCulture)));
    }
}

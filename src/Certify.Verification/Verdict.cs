namespace Certify.Verification;

/// <summary>The answer to "can an input in the region produce an unsafe output?".</summary>
public enum VerdictKind
{
    /// <summary>Proven: no counterexample exists (the property holds).</summary>
    Unsat,
    /// <summary>A counterexample exists and was reproduced on the original network.</summary>
    Sat,
    /// <summary>No conclusion (incomplete method, unsupported op, numerical trouble, unreproducible candidate).</summary>
    Unknown,
    /// <summary>No conclusion within the time budget.</summary>
    Timeout,
}

/// <summary>
/// A verification verdict. Soundness is built into the type: <see cref="VerdictKind.Sat"/> exists only through
/// <see cref="CounterexampleChecker.Confirm"/>, which re-runs the candidate on the reference model (ONNX Runtime) and
/// tests it against the specification, so no code path can report sat from a solver's or an attack's own arithmetic.
/// <see cref="VerdictKind.Unsat"/> must only be created from a proof (an exact back-end's infeasibility, or bounds that
/// exclude every unsafe output), and names that proof in <see cref="ProvedBy"/>.
/// </summary>
public sealed class Verdict
{
    Verdict(VerdictKind kind, string? provedBy, Counterexample? counterexample, string? reason)
    {
        Kind = kind;
        ProvedBy = provedBy;
        Counterexample = counterexample;
        Reason = reason;
    }

    /// <summary>The kind of answer.</summary>
    public VerdictKind Kind { get; }

    /// <summary>For <see cref="VerdictKind.Unsat"/>: what proved it (e.g. "MILP (SCIP): all 4 disjuncts infeasible").</summary>
    public string? ProvedBy { get; }

    /// <summary>For <see cref="VerdictKind.Sat"/>: the checked counterexample.</summary>
    public Counterexample? Counterexample { get; }

    /// <summary>For <see cref="VerdictKind.Unknown"/> and <see cref="VerdictKind.Timeout"/>: why there is no answer.</summary>
    public string? Reason { get; }

    /// <summary>A proof that the property holds; <paramref name="provedBy"/> names the method and what it showed.</summary>
    public static Verdict Unsat(string provedBy) => new(VerdictKind.Unsat, provedBy, null, null);

    /// <summary>No conclusion, with the reason.</summary>
    public static Verdict Unknown(string reason) => new(VerdictKind.Unknown, null, null, reason);

    /// <summary>The time budget ran out, with what was running.</summary>
    public static Verdict Timeout(string reason) => new(VerdictKind.Timeout, null, null, reason);

    /// <summary>Only <see cref="CounterexampleChecker"/> calls this, after reproducing the counterexample.</summary>
    internal static Verdict Sat(Counterexample counterexample) => new(VerdictKind.Sat, null, counterexample, null);

    /// <summary>The VNN-COMP result word: "unsat", "sat", "unknown" or "timeout".</summary>
    public string Word => Kind.ToString().ToLowerInvariant();

    public override string ToString() => Kind switch
    {
        VerdictKind.Unsat => $"unsat ({ProvedBy})",
        VerdictKind.Sat => $"sat ({Counterexample})",
        _ => $"{Word} ({Reason})",
    };
}

/// <summary>
/// A counterexample that reproduced on the reference model: <see cref="X"/> lies in region <see cref="Region"/>'s box
/// and <see cref="Y"/> (the reference model's output at X) satisfies the region's unsafe disjunct <see cref="Disjunct"/>.
/// Only <see cref="CounterexampleChecker"/> can create one.
/// </summary>
public sealed class Counterexample
{
    internal Counterexample(double[] x, double[] y, int region, int disjunct, double margin, string checkedBy)
    {
        X = x; Y = y; Region = region; Disjunct = disjunct; Margin = margin; CheckedBy = checkedBy;
    }

    /// <summary>The input (flat), inside the region's box.</summary>
    public double[] X { get; }
    /// <summary>The reference model's output at <see cref="X"/> (flat).</summary>
    public double[] Y { get; }
    /// <summary>Index of the specification region whose box holds X.</summary>
    public int Region { get; }
    /// <summary>Index of the unsafe disjunct that Y satisfies.</summary>
    public int Disjunct { get; }
    /// <summary><c>max over the disjunct's rows of (C·y − D)</c> at Y; ≤ 0 (more negative = deeper violation).</summary>
    public double Margin { get; }
    /// <summary>The reference model that reproduced it (e.g. "ONNX Runtime: net.onnx").</summary>
    public string CheckedBy { get; }

    /// <summary>The VNN-COMP counterexample text: <c>((X_0 v) … (Y_0 v) …)</c>.</summary>
    public string ToVnnComp()
    {
        var sb = new System.Text.StringBuilder("(");
        for (int i = 0; i < X.Length; i++) sb.Append(i == 0 ? "" : "\n ").Append($"(X_{i} {X[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture)})");
        for (int i = 0; i < Y.Length; i++) sb.Append($"\n (Y_{i} {Y[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture)})");
        return sb.Append(')').ToString();
    }

    public override string ToString() => $"region {Region}, disjunct {Disjunct}, margin {Margin:G4}, checked by {CheckedBy}";
}

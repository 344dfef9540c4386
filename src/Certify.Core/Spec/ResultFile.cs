using System.Globalization;
using System.Text;

namespace Certify.Spec;

/// <summary>The answer of a verification run, as VNN-COMP result files state it.</summary>
public enum ResultStatus
{
    /// <summary>A counterexample exists (the property is violated).</summary>
    Sat,
    /// <summary>The property holds (no counterexample).</summary>
    Unsat,
    /// <summary>No answer (incomplete method, gave up).</summary>
    Unknown,
    /// <summary>The time limit was reached.</summary>
    Timeout,
    /// <summary>The tool failed.</summary>
    Error,
}

/// <summary>A VNN-COMP result file's content: the status and, for <c>sat</c>, the counterexample if one was written.</summary>
/// <param name="Status">The verdict.</param>
/// <param name="X">Input values X_0…, or null when none were written.</param>
/// <param name="Y">Output values Y_0…, or null when none were written.</param>
public sealed record VerificationResult(ResultStatus Status, double[]? X, double[]? Y);

/// <summary>
/// Reads and writes VNN-COMP result files: the first line is the status; a <c>sat</c> answer is followed by the
/// counterexample as <c>((X_0 v)\n (X_1 v)\n … (Y_0 v) …)</c>.
/// </summary>
public static class ResultFile
{
    /// <summary>The status word VNN-COMP uses for <paramref name="status"/>.</summary>
    public static string Word(ResultStatus status) => status switch
    {
        ResultStatus.Sat => "sat",
        ResultStatus.Unsat => "unsat",
        ResultStatus.Unknown => "unknown",
        ResultStatus.Timeout => "timeout",
        _ => "error",
    };

    /// <summary>Writes a result file. Values use round-trip precision so the counterexample reproduces bit for bit.</summary>
    /// <exception cref="ArgumentException">an assignment given with a status other than sat, or a non-finite value.</exception>
    public static void Write(string path, ResultStatus status, double[]? x = null, double[]? y = null)
    {
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        Write(w, status, x, y);
    }

    /// <summary>Writes a result to <paramref name="writer"/>.</summary>
    public static void Write(TextWriter writer, ResultStatus status, double[]? x = null, double[]? y = null)
    {
        if (status != ResultStatus.Sat && (x is not null || y is not null))
            throw new ArgumentException($"only a sat result carries a counterexample (status {Word(status)})");
        writer.Write(Word(status));
        writer.Write('\n');
        var pairs = (x ?? Array.Empty<double>()).Select((v, i) => ($"X_{i}", v))
            .Concat((y ?? Array.Empty<double>()).Select((v, i) => ($"Y_{i}", v))).ToList();
        if (pairs.Count == 0) return;
        for (int k = 0; k < pairs.Count; k++)
        {
            var (name, v) = pairs[k];
            if (!double.IsFinite(v)) throw new ArgumentException($"{name} is {v}: a counterexample must be finite");
            writer.Write(k == 0 ? "((" : " (");
            writer.Write(name);
            writer.Write(' ');
            writer.Write(v.ToString("R", CultureInfo.InvariantCulture));
            writer.Write(k == pairs.Count - 1 ? "))\n" : ")\n");
        }
    }

    /// <summary>
    /// Reads a result file, tolerating the variants real tools write: any case, <c>holds</c> (= unsat) and
    /// <c>violated</c> (= sat), <c>sat</c> with or without an assignment, assignments with or without the enclosing
    /// parentheses, one pair per line or several, extra whitespace, values as decimals, exponent forms or <c>(- v)</c>.
    /// </summary>
    /// <exception cref="FormatException">an unknown status, a malformed assignment or gaps in its variables, naming the file and line.</exception>
    public static VerificationResult Read(string path)
    {
        using var r = new StreamReader(path);
        return Read(r, path);
    }

    /// <summary>Reads a result from <paramref name="reader"/>; <paramref name="displayName"/> names it in errors.</summary>
    public static VerificationResult Read(TextReader reader, string displayName)
    {
        try { return ReadCore(reader, displayName); }
        catch (VnnLibException e) { throw new FormatException(e.Message); }
    }

    static VerificationResult ReadCore(TextReader reader, string displayName)
    {
        var tok = new VnnLibTokenizer(reader, displayName);
        tok.Next();
        if (tok.Kind != VnnTokenKind.Atom) throw Fail(tok, $"expected a status (sat, unsat, unknown, timeout, error) but found {tok.Describe()}");
        var word = tok.Text.ToString().ToLowerInvariant();
        ResultStatus status = word switch
        {
            "sat" or "violated" => ResultStatus.Sat,
            "unsat" or "holds" => ResultStatus.Unsat,
            "unknown" => ResultStatus.Unknown,
            "timeout" => ResultStatus.Timeout,
            "error" => ResultStatus.Error,
            _ => throw Fail(tok, $"unknown status {tok.Describe()}; expected sat, unsat, unknown, timeout, error, holds or violated"),
        };
        tok.Next();
        var xs = new SortedDictionary<int, double>();
        var ys = new SortedDictionary<int, double>();
        // Walk the rest: every "(NAME VALUE)" group with NAME = X_i / Y_i is one assignment; other parentheses are layout.
        while (tok.Kind != VnnTokenKind.End)
        {
            if (tok.Kind == VnnTokenKind.RParen || tok.Kind == VnnTokenKind.LParen) { tok.Next(); continue; }
            var t = tok.Text;
            if (t.Length < 3 || (t[0] != 'X' && t[0] != 'Y') || t[1] != '_' || !int.TryParse(t[2..], NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                throw Fail(tok, $"expected an assignment (X_<i> value) or (Y_<i> value) but found {tok.Describe()}");
            var target = t[0] == 'X' ? xs : ys;
            string name = t.ToString();
            tok.Next();
            double v = ReadValue(tok, name);
            if (!target.TryAdd(index, v)) throw Fail(tok, $"{name} is assigned twice");
        }
        if (status != ResultStatus.Sat && (xs.Count > 0 || ys.Count > 0))
            throw new FormatException($"{displayName}: status {word} must not carry an assignment");
        return new VerificationResult(status, Dense(xs, "X", displayName), Dense(ys, "Y", displayName));
    }

    static double ReadValue(VnnLibTokenizer tok, string name)
    {
        if (tok.Kind == VnnTokenKind.Atom && tok.TryNumber(out double v)) { tok.Next(); return v; }
        if (tok.Kind == VnnTokenKind.LParen)
        {
            // (- v): SMT-LIB's way to write a negative number.
            tok.Next();
            if (tok.IsAtom("-"))
            {
                tok.Next();
                if (tok.Kind == VnnTokenKind.Atom && tok.TryNumber(out v))
                {
                    tok.Next();
                    if (tok.Kind == VnnTokenKind.RParen) { tok.Next(); return -v; }
                }
            }
        }
        throw Fail(tok, $"expected a number for {name} but found {tok.Describe()}");
    }

    static double[]? Dense(SortedDictionary<int, double> values, string prefix, string file)
    {
        if (values.Count == 0) return null;
        var a = new double[values.Keys.Last() + 1];
        int expect = 0;
        foreach (var (i, v) in values)
        {
            if (i != expect) throw new FormatException($"{file}: {prefix}_{expect} is missing from the assignment");
            a[i] = v;
            expect++;
        }
        return a;
    }

    static FormatException Fail(VnnLibTokenizer tok, string problem) => new(tok.Error(problem).Message);
}

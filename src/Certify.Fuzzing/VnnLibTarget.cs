using System.Reflection;
using System.Text;

namespace Certify.Fuzzing;

/// <summary>
/// Fuzzes <c>VnnLibParser.Parse(TextReader, string)</c> of the instrumented Certify.Core, reading the bytes through a
/// <see cref="StreamReader"/> that detects byte-order marks as <c>VnnLibParser.Parse(path)</c> does. The documented
/// failure is <c>Certify.Spec.VnnLibException</c>; any other exception is a crash.
/// </summary>
public sealed class VnnLibTarget : IFuzzTarget
{
    readonly InstrumentedCore _core;
    readonly Func<TextReader, string, object> _parse;
    readonly Type _expected;
    readonly IReadOnlyList<string> _seedFolders;

    /// <summary>Instruments Certify.Core (once per process) and binds the parser; <paramref name="seedFolders"/> are searched for small <c>*.vnnlib</c> seeds.</summary>
    public VnnLibTarget(IEnumerable<string>? seedFolders = null)
    {
        _core = InstrumentedCore.Shared;
        _parse = _core.Method("Certify.Spec.VnnLibParser", "Parse", typeof(TextReader), typeof(string)).CreateDelegate<Func<TextReader, string, object>>();
        _expected = _core.Type("Certify.Spec.VnnLibException");
        _seedFolders = seedFolders?.ToList() ?? [];
    }

    /// <inheritdoc/>
    public string Name => "vnnlib";
    /// <inheritdoc/>
    public string Extension => ".vnnlib";
    /// <inheritdoc/>
    public int MaxInputBytes => 64 << 10;
    /// <inheritdoc/>
    public ICoverageMap Coverage => _core;

    /// <inheritdoc/>
    public string Run(byte[] input)
    {
        using var reader = new StreamReader(new MemoryStream(input, writable: false), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        try { _parse(reader, "fuzz.vnnlib"); }
        catch (Exception e) when (e.GetType() == _expected) { return "rejected"; }
        return "accepted";
    }

    /// <summary>Largest seed file read from the seed folders.</summary>
    const int MaxSeedFileBytes = 16 << 10;

    /// <inheritdoc/>
    public IReadOnlyList<byte[]> Seeds()
    {
        var seeds = BuiltInSeeds().Select(s => Encoding.ASCII.GetBytes(s)).ToList();
        seeds.AddRange(SeedFiles.Read(_seedFolders, "*.vnnlib", MaxSeedFileBytes, 40));
        return seeds;
    }

    /// <summary>Small valid properties covering each construct the parser documents.</summary>
    public static IEnumerable<string> BuiltInSeeds()
    {
        yield return """
            ; a box and one output constraint
            (declare-const X_0 Real)
            (declare-const X_1 Real)
            (declare-const Y_0 Real)
            (declare-const Y_1 Real)
            (assert (<= X_0 1.0))
            (assert (>= X_0 -1.0))
            (assert (<= X_1 0.5))
            (assert (>= X_1 0))
            (assert (<= Y_0 Y_1))
            """;
        yield return """
            (set-logic QF_LRA)
            (set-info :source |fuzz seed|)
            (declare-fun X_0 () Real)
            (declare-fun Y_0 () Real)
            (declare-fun Y_1 () Real)
            (declare-fun Y_2 () Real)
            (assert (and (<= X_0 1e-2) (>= X_0 -1.5E+1)))
            (assert (or (and (>= Y_0 Y_1) (>= Y_0 Y_2)) (and (< (- Y_1 Y_0) 0.25)) (> (+ (* 2 Y_2) (* -0.5 Y_1)) (/ 1 3))))
            (check-sat)
            (get-model)
            (exit)
            """;
        yield return """
            (declare-const X_0 Real)
            (declare-const X_1 Real)
            (declare-const X_2 Real)
            (declare-const Y_0 Real)
            (declare-const Y_1 Real)
            (assert (or (and (<= X_0 1) (>= X_0 0) (<= X_1 1) (>= X_1 0) (= X_2 0.5))
                        (and (<= X_0 0) (>= X_0 -1) (<= X_1 0) (>= X_1 -1) (= X_2 -0.5))))
            (assert (or (<= Y_0 -3) (>= (/ Y_1 4) 2.5)))
            """;
        yield return """
            (declare-const X_0 Real)
            (declare-const Y_0 Real)
            (declare-const Y_1 Real)
            (assert (<= -0.5 X_0))
            (assert (<= X_0 (/ 3 4)))
            (assert (and true (or false (<= (- Y_0) (* 3 (- Y_1 Y_0))))))
            """;
        // ACAS Xu property 3 style: five inputs, five outputs, a disjunction of four conjunctions.
        var acas = new StringBuilder();
        for (int i = 0; i < 5; i++) acas.Append($"(declare-const X_{i} Real)\n");
        for (int j = 0; j < 5; j++) acas.Append($"(declare-const Y_{j} Real)\n");
        double[] lo = [-0.3035, -0.0095, 0.4934, 0.3, 0.3], hi = [-0.2986, 0.0095, 0.5, 0.5, 0.5];
        for (int i = 0; i < 5; i++) acas.Append($"(assert (<= X_{i} {hi[i]}))\n(assert (>= X_{i} {lo[i]}))\n");
        acas.Append("(assert (or\n");
        for (int j = 1; j < 5; j++) acas.Append($"  (and (<= Y_0 Y_{j}))\n");
        acas.Append("))\n");
        yield return acas.ToString();
        yield return "(declare-const X_0 Real)\r\n(declare-const Y_0 Real)\r\n(assert (<= X_0 2))\r\n(assert (>= X_0 1))\r\n(assert (= Y_0 Y_0 Y_0))\r\n";
    }

    // ---- structure-aware mutations --------------------------------------------------------------------------------

    static readonly string[] Tokens =
    [
        "(", ")", "assert", "and", "or", "not", "<=", ">=", "<", ">", "=", "+", "-", "*", "/", "declare-const", "declare-fun",
        "Real", "Int", "Bool", "true", "false", "X_0", "Y_0", "X_1", "Y_1", "X_7", "Y_9", "set-logic", "set-info", "check-sat",
        "exit", "ite", "let", "=>", "distinct", "foo", "X_", "Y_-1", "X_01", "Z_0", ":named", "!", "|a b|", "\"str\"", "#x1F",
        "#b101", "; comment\n", "()",
    ];

    static readonly string[] Numbers =
    [
        "0", "-0", "1", "-1", "0.5", ".5", "5.", "1e308", "1e309", "-1e309", "1e-400", "4.9e-324", "1E+5", "1e", "1e+", "--1",
        "+1", "NaN", "nan", "inf", "-inf", "Infinity", "0x10", "1_000", "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368",
        "0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001",
        "123456789012345678901234567890", "(/ 1 0)", "(/ 0 0)", "(/ 1 3)", "(- 5)", "(- 1e309)", "(* 0 X_0)", "(* X_0 Y_0)",
        "2147483648", "X_2147483648", "X_99999999", "Y_2147483647", "X_1000000",
    ];

    static readonly byte[][] Dict = Tokens.Concat(Numbers.Take(30)).Select(t => Encoding.ASCII.GetBytes(t))
        .Concat([[0xEF, 0xBB, 0xBF], [0], [0xC3, 0x28], [0xFF, 0xFE], "\r"u8.ToArray(), "\r\n"u8.ToArray()]).ToArray();

    /// <inheritdoc/>
    public IReadOnlyList<byte[]> Dictionary => Dict;

    /// <inheritdoc/>
    public byte[]? Mutate(byte[] input, IReadOnlyList<byte[]> corpus, Random rng) => MutateText(input, corpus, rng, MaxInputBytes);

    /// <summary>
    /// One token-aware edit: replace or insert a token, nest an s-expression deeply (around the parser's nesting limit),
    /// swap a number for a huge, tiny or malformed one, change a variable index, change line endings, add a BOM, a NUL
    /// or invalid UTF-8, delete, duplicate or swap s-expressions. Text is handled as Latin-1 so every byte survives.
    /// </summary>
    public static byte[]? MutateText(byte[] input, IReadOnlyList<byte[]> corpus, Random rng, int maxBytes)
    {
        var s = Encoding.Latin1.GetString(input);
        var atoms = AtomSpans(s);
        string r;
        switch (rng.Next(12))
        {
            case 0 when atoms.Count > 0: // replace an atom by a token
            {
                var (at, len) = atoms[rng.Next(atoms.Count)];
                r = s[..at] + Tokens[rng.Next(Tokens.Length)] + s[(at + len)..];
                break;
            }
            case 1 when atoms.Count > 0: // replace an atom by a number
            {
                var (at, len) = atoms[rng.Next(atoms.Count)];
                r = s[..at] + Numbers[rng.Next(Numbers.Length)] + s[(at + len)..];
                break;
            }
            case 2: // insert a token at a token boundary
            {
                int at = Boundary(s, rng);
                r = s[..at] + " " + (rng.Next(2) == 0 ? Tokens[rng.Next(Tokens.Length)] : Numbers[rng.Next(Numbers.Length)]) + " " + s[at..];
                break;
            }
            case 3: // wrap an s-expression in and/or/not/assert, many times over
            {
                if (!TrySexpr(s, rng, out int a, out int b)) return null;
                int depth = NestingDepths[rng.Next(NestingDepths.Length)];
                var op = new[] { "and", "or", "assert", "not", "+", "-" }[rng.Next(6)];
                var sb = new StringBuilder(s.Length + depth * (op.Length + 4));
                sb.Append(s, 0, a);
                for (int k = 0; k < depth; k++) sb.Append('(').Append(op).Append(' ');
                sb.Append(s, a, b - a);
                sb.Append(')', depth);
                sb.Append(s, b, s.Length - b);
                r = sb.ToString();
                break;
            }
            case 4: // unbalanced nesting: many '(' or ')' at one place
            {
                int at = Boundary(s, rng);
                r = s[..at] + new string(rng.Next(2) == 0 ? '(' : ')', NestingDepths[rng.Next(NestingDepths.Length)]) + s[at..];
                break;
            }
            case 5: // line endings
                r = rng.Next(4) switch
                {
                    0 => s.Replace("\r\n", "\n").Replace("\n", "\r\n"),
                    1 => s.Replace("\r\n", "\n").Replace('\n', '\r'),
                    2 => s.Replace("\r", "").Replace("\n", " "),
                    _ => s.Replace("\n", "\n\n\t"),
                };
                break;
            case 6: // BOM, NUL, invalid or non-ASCII UTF-8 at the start or anywhere
            {
                var odd = new[] { "\u00EF\u00BB\u00BF", "\0", "\u00C3\u0028", "\u00FF\u00FE", "\u00C3\u00A9", "\u00E2\u0080\u008B", "\u00F0\u009F\u0098\u0080" }[rng.Next(7)];
                int at = rng.Next(2) == 0 ? 0 : rng.Next(s.Length + 1);
                r = s[..at] + odd + s[at..];
                break;
            }
            case 7: // delete an s-expression
            {
                if (!TrySexpr(s, rng, out int a, out int b)) return null;
                r = s[..a] + s[b..];
                break;
            }
            case 8: // duplicate an s-expression (a declaration twice, an assertion twice)
            {
                if (!TrySexpr(s, rng, out int a, out int b)) return null;
                r = s[..b] + " " + s[a..b] + s[b..];
                break;
            }
            case 9: // replace an s-expression by one from another input
            {
                if (!TrySexpr(s, rng, out int a, out int b)) return null;
                var other = Encoding.Latin1.GetString(corpus[rng.Next(corpus.Count)]);
                if (!TrySexpr(other, rng, out int c, out int d)) return null;
                r = s[..a] + other[c..d] + s[b..];
                break;
            }
            case 10: // many declarations or assertions (the DNF and the variable tables grow)
            {
                var sb = new StringBuilder(s);
                int n = new[] { 10, 100, 1000 }[rng.Next(3)];
                int kind = rng.Next(3);
                for (int k = 0; k < n && sb.Length < maxBytes; k++)
                    sb.Append(kind switch
                    {
                        0 => $"(declare-const X_{k + 2} Real)\n",
                        1 => $"(assert (or (<= Y_0 {k}) (>= Y_1 {k})))\n",
                        _ => $"(assert (or (and (<= X_0 {k}) (>= X_0 -{k})) (and (<= X_0 {k + 1}) (>= X_0 {k}))))\n",
                    });
                r = sb.ToString();
                break;
            }
            default: // an unterminated comment, string or quoted symbol, or a truncation inside a token
            {
                int at = rng.Next(s.Length + 1);
                r = rng.Next(3) switch { 0 => s[..at] + "; no newline", 1 => s[..at] + "\"unterminated", _ => s[..at] + "|unterminated" };
                break;
            }
        }
        if (r.Length > maxBytes) r = r[..maxBytes];
        return Encoding.Latin1.GetBytes(r);
    }

    /// <summary>Depths around the parser's nesting limit (500) and far past it.</summary>
    static readonly int[] NestingDepths = [1, 2, 3, 10, 100, 499, 500, 501, 2000, 20000];

    static List<(int At, int Len)> AtomSpans(string s)
    {
        var list = new List<(int, int)>();
        for (int i = 0; i < s.Length;)
        {
            char c = s[i];
            if (char.IsWhiteSpace(c) || c == '(' || c == ')') { i++; continue; }
            int start = i;
            while (i < s.Length && !char.IsWhiteSpace(s[i]) && s[i] != '(' && s[i] != ')') i++;
            list.Add((start, i - start));
        }
        return list;
    }

    static int Boundary(string s, Random rng)
    {
        for (int tries = 0; tries < 8; tries++)
        {
            int at = rng.Next(s.Length + 1);
            if (at == 0 || at == s.Length || s[at] is ' ' or '(' or ')' or '\n' || s[at - 1] is ' ' or '(' or ')' or '\n') return at;
        }
        return rng.Next(s.Length + 1);
    }

    /// <summary>A random balanced s-expression [a, b) of <paramref name="s"/>.</summary>
    static bool TrySexpr(string s, Random rng, out int a, out int b)
    {
        a = b = 0;
        var opens = new List<int>();
        for (int i = 0; i < s.Length; i++) if (s[i] == '(') opens.Add(i);
        if (opens.Count == 0) return false;
        for (int tries = 0; tries < 4; tries++)
        {
            a = opens[rng.Next(opens.Count)];
            int depth = 0;
            for (int i = a; i < s.Length; i++)
            {
                if (s[i] == '(') depth++;
                else if (s[i] == ')' && --depth == 0) { b = i + 1; return true; }
            }
        }
        return false;
    }
}

/// <summary>Reads seed files found under folders (sorted by path, so a run is reproducible), skipping large ones.</summary>
static class SeedFiles
{
    public static List<byte[]> Read(IEnumerable<string> folders, string pattern, int maxBytes, int maxFiles)
    {
        var found = new List<byte[]>();
        foreach (var dir in folders.Where(Directory.Exists))
        {
            IEnumerable<string> files;
            try { files = Directory.EnumerateFiles(dir, pattern, SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            foreach (var f in files)
            {
                if (found.Count >= maxFiles) return found;
                try
                {
                    var info = new FileInfo(f);
                    if (info.Length == 0 || info.Length > maxBytes) continue;
                    found.Add(File.ReadAllBytes(f));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
        }
        return found;
    }
}

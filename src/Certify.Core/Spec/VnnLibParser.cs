using System.IO.Compression;

namespace Certify.Spec;

/// <summary>
/// Reads VNNLIB properties (the SMT-LIB subset used by VNN-COMP) into a <see cref="Specification"/>.
/// <para>Supported: <c>declare-const</c> (and <c>declare-fun</c> with no arguments) of <c>X_i</c> / <c>Y_i</c> of sort
/// <c>Real</c>; <c>assert</c> over <c>and</c>, <c>or</c> (nested to any depth), <c>&lt;=</c>, <c>&gt;=</c>, <c>&lt;</c>,
/// <c>&gt;</c>, <c>=</c> (chains allowed), <c>true</c>/<c>false</c>, and linear terms built with <c>+</c>, <c>-</c>,
/// <c>*</c> (at most one non-constant factor) and <c>/</c> (by a constant), with numbers as integers, decimals,
/// exponent forms and <c>(/ p q)</c> rationals. <c>set-logic</c>, <c>set-info</c>, <c>set-option</c>, <c>check-sat</c>,
/// <c>get-model</c> and <c>exit</c> are ignored. Files ending in <c>.gz</c> are decompressed on the fly.</para>
/// <para>Semantics: all assertions are conjoined and brought to disjunctive normal form. Constraints on inputs must be
/// bounds on single variables (so every disjunct's input set is a box); constraints on outputs may be any linear
/// inequality over Y. Disjuncts with the same box form one <see cref="InputRegion"/> whose unsafe condition has one
/// <see cref="Conjunction"/> per disjunct, rows in file order. Disjuncts with an empty box are dropped (no input, no
/// counterexample).</para>
/// <para>The file is read as a stream through a hand-written tokenizer: memory grows with the parsed content only.</para>
/// </summary>
public static class VnnLibParser
{
    /// <summary>Largest number of conjunctions the disjunctive normal form may have before the parser gives up.</summary>
    public const int MaxConjunctions = 100_000;

    /// <summary>
    /// Deepest nesting of formulas and terms accepted. The reader is recursive descent; without a limit a file nested
    /// 10,000 deep overflowed the stack, which no handler can catch and which ended the whole process (a whole
    /// <c>run</c> of many instances). Real properties nest a handful of levels.
    /// </summary>
    public const int MaxNesting = 500;

    /// <summary>Parses the VNNLIB file at <paramref name="path"/> (plain or <c>.gz</c>).</summary>
    /// <exception cref="VnnLibException">malformed or unsupported content, with file, line and column.</exception>
    /// <remarks>
    /// At most <see cref="Certify.IO.InputFile.MaxPropertyBytes"/> are read (after decompression), so <c>/dev/zero</c> or a
    /// decompression bomb ends in an error, not in exhausted memory. A file named <c>.gz</c> that is not gzip data is
    /// reported as such (the decompressor's own exception would otherwise escape).
    /// </remarks>
    public static Specification Parse(string path)
    {
        Func<string, Exception> error = problem => new VnnLibException(path, 0, 0, problem);
        using var stream = Certify.IO.InputFile.Open(path, Certify.IO.InputFile.MaxPropertyBytes, error);
        bool gz = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        Stream input = gz ? Certify.IO.InputFile.Cap(new GZipStream(stream, CompressionMode.Decompress), Certify.IO.InputFile.MaxPropertyBytes, error) : stream;
        using var reader = new StreamReader(input, System.Text.Encoding.UTF8, true, 1 << 16);
        try { return Parse(reader, path); }
        catch (InvalidDataException e) when (gz)
        {
            throw new VnnLibException(path, 0, 0, $"not a valid gzip file ({e.Message}); a plain-text property must not end in .gz");
        }
        catch (IOException e) { throw new VnnLibException(path, 0, 0, $"cannot read the file ({e.Message})"); }
    }

    /// <summary>Parses VNNLIB text from <paramref name="reader"/>; <paramref name="displayName"/> names it in errors and becomes <see cref="Specification.Source"/>.</summary>
    /// <exception cref="VnnLibException">malformed or unsupported content, with line and column.</exception>
    public static Specification Parse(TextReader reader, string displayName) =>
        new VnnLibReader(new VnnLibTokenizer(reader, displayName), displayName).Read();
}

/// <summary>A bound on one input from one literal: <c>Lower ≤ X_Index ≤ Upper</c> with one side infinite.</summary>
internal readonly record struct InputBound(int Index, double Lower, double Upper);

/// <summary>An output row <c>Σ Coefs[k]·Y_{Indices[k]} ≤ D</c> in sparse form, as read from one literal.</summary>
internal sealed class SparseRow(int[] indices, double[] coefs, double d)
{
    public int[] Indices { get; } = indices;
    public double[] Coefs { get; } = coefs;
    public double D { get; } = d;
    HalfSpace? _dense;

    /// <summary>The dense half-space over <paramref name="outputs"/> outputs (built once, shared by every disjunct using this row).</summary>
    public HalfSpace Dense(int outputs)
    {
        if (_dense is null)
        {
            var c = new double[outputs];
            for (int k = 0; k < Indices.Length; k++) c[Indices[k]] += Coefs[k];
            _dense = new HalfSpace(c, D);
        }
        return _dense;
    }
}

/// <summary>One conjunction of literals while the DNF is built: input bounds, output rows, or a constant false.</summary>
internal sealed class Conj
{
    public List<InputBound>? Bounds;
    public List<SparseRow>? Rows;
    public bool False;

    public int Size => (Bounds?.Count ?? 0) + (Rows?.Count ?? 0);

    public void Append(Conj other)
    {
        if (other.False) False = true;
        if (other.Bounds is { Count: > 0 }) (Bounds ??= new()).AddRange(other.Bounds);
        if (other.Rows is { Count: > 0 }) (Rows ??= new()).AddRange(other.Rows);
    }

    public Conj Clone()
    {
        var c = new Conj { False = False };
        if (Bounds is not null) c.Bounds = new(Bounds);
        if (Rows is not null) c.Rows = new(Rows);
        return c;
    }
}

/// <summary>The recursive-descent reader behind <see cref="VnnLibParser"/>: one instance per file.</summary>
internal sealed class VnnLibReader(VnnLibTokenizer tok, string file)
{
    /// <summary>Bound on the literals copied while distributing <c>and</c> over <c>or</c> (memory guard).</summary>
    const long MaxDnfLiterals = 50_000_000;

    readonly Declarations _declaredX = new("X"), _declaredY = new("Y");

    /// <summary>
    /// The declared indices of one kind of variable, as a set: a 360-byte file declaring <c>X_325476643</c> made the parser
    /// grow a list of 325 million flags (830 MB; found by fuzzing). Gaps are refused when a variable is first used and at
    /// the end, before anything is sized by the largest index.
    /// </summary>
    sealed class Declarations(string prefix)
    {
        readonly HashSet<int> _set = new();
        public int Max { get; private set; } = -1;
        public int Count => _set.Count;
        public bool Contains(int i) => _set.Contains(i);
        public bool Add(int i) { Max = Math.Max(Max, i); return _set.Add(i); }

        /// <summary>Null when the indices are 0 … Max without gaps; otherwise the message naming the first missing one.</summary>
        public string? Gap()
        {
            if (_set.Count == Max + 1) return null;
            int missing = 0;
            while (_set.Contains(missing)) missing++;
            return $"{prefix}_{missing} is not declared but {prefix}_{Max} is; variables must be numbered from 0 without gaps";
        }
    }
    readonly List<double> _lower = new(), _upper = new();  // bounds asserted outside any disjunction
    readonly List<List<Conj>> _factors = new();            // conjoined disjunctions, in file order
    Conj _pending = new();                                  // output rows asserted outside any disjunction since the last factor
    bool _globalFalse;
    long _dnfLiterals;

    public Specification Read()
    {
        tok.Next();
        while (tok.Kind != VnnTokenKind.End)
        {
            if (tok.Kind != VnnTokenKind.LParen)
                throw tok.Error($"expected '(' starting a command but found {tok.Describe()}");
            tok.Next();
            ReadCommand();
        }
        return Finish();
    }

    // ---- commands ---------------------------------------------------------------------------------------------

    void ReadCommand()
    {
        if (tok.Kind != VnnTokenKind.Atom) throw tok.Error($"expected a command name but found {tok.Describe()}");
        if (tok.IsAtom("declare-const")) { tok.Next(); ReadDeclaration(functionForm: false); }
        else if (tok.IsAtom("declare-fun")) { tok.Next(); ReadDeclaration(functionForm: true); }
        else if (tok.IsAtom("assert"))
        {
            int line = tok.Line, col = tok.Column;
            tok.Next();
            var dnf = ReadFormula();
            // Name the assert that is left open, not the end of the file where that was noticed.
            if (tok.Kind == VnnTokenKind.End) throw tok.Error(line, col, "'assert' is not closed before the end of the file");
            tok.Expect(VnnTokenKind.RParen, "')' closing the assert");
            AddAssertion(dnf);
        }
        else if (tok.IsAtom("set-logic") || tok.IsAtom("set-info") || tok.IsAtom("set-option") || tok.IsAtom("check-sat")
                 || tok.IsAtom("get-model") || tok.IsAtom("exit"))
        {
            SkipToClose();
        }
        else
            throw tok.Error($"unsupported command {tok.Describe()}; supported: declare-const, assert " +
                            "(set-logic, set-info, set-option, check-sat, get-model and exit are ignored)");
    }

    /// <summary>Skips the rest of a command, including nested parentheses, and its closing ')'.</summary>
    void SkipToClose()
    {
        int depth = 1;
        int line = tok.Line, col = tok.Column;
        while (depth > 0)
        {
            tok.Next();
            if (tok.Kind == VnnTokenKind.End) throw tok.Error(line, col, "command is not closed before the end of the file");
            if (tok.Kind == VnnTokenKind.LParen) depth++;
            else if (tok.Kind == VnnTokenKind.RParen) depth--;
        }
        tok.Next();
    }

    void ReadDeclaration(bool functionForm)
    {
        if (tok.Kind != VnnTokenKind.Atom) throw tok.Error($"expected a variable name but found {tok.Describe()}");
        int line = tok.Line, col = tok.Column;
        if (!TryVariable(tok.Text, out bool output, out int index))
            throw tok.Error($"unsupported variable name {tok.Describe()}: VNNLIB variables must be X_<i> (inputs) or Y_<i> (outputs)");
        var name = (output ? "Y_" : "X_") + index;
        tok.Next();
        if (functionForm)
        {
            tok.Expect(VnnTokenKind.LParen, "'(' (an empty argument list)");
            tok.Expect(VnnTokenKind.RParen, "')': functions with arguments are not supported");
        }
        if (!tok.IsAtom("Real")) throw tok.Error($"expected sort Real for {name} but found {tok.Describe()}");
        tok.Next();
        tok.Expect(VnnTokenKind.RParen, $"')' closing the declaration of {name}");
        var declared = output ? _declaredY : _declaredX;
        if (!declared.Add(index)) throw tok.Error(line, col, $"{name} is declared twice");
    }

    static bool TryVariable(ReadOnlySpan<char> t, out bool output, out int index)
    {
        output = false;
        index = -1;
        if (t.Length < 3 || t[1] != '_' || (t[0] != 'X' && t[0] != 'Y')) return false;
        output = t[0] == 'Y';
        long v = 0;
        for (int i = 2; i < t.Length; i++)
        {
            if (!char.IsAsciiDigit(t[i])) return false;
            v = v * 10 + (t[i] - '0');
            if (v > int.MaxValue / 4) return false;
        }
        if (t.Length > 3 && t[2] == '0') return false; // X_01 is not X_1
        index = (int)v;
        return true;
    }

    // ---- formulas -> DNF --------------------------------------------------------------------------------------

    int _depth;

    /// <summary>Counts one level of nesting for the recursive readers; throws past <see cref="VnnLibParser.MaxNesting"/>.</summary>
    void Enter()
    {
        if (++_depth > VnnLibParser.MaxNesting)
            throw tok.Error($"formulas or terms nest more than {VnnLibParser.MaxNesting} levels deep here; real properties nest a few levels");
    }

    /// <summary>Reads one Boolean formula and returns it in DNF (a list of conjunctions; empty = false).</summary>
    List<Conj> ReadFormula()
    {
        Enter();
        try { return ReadFormulaAt(); }
        finally { _depth--; }
    }

    List<Conj> ReadFormulaAt()
    {
        int line = tok.Line, col = tok.Column;
        if (tok.Kind == VnnTokenKind.Atom)
        {
            if (tok.IsAtom("true")) { tok.Next(); return new() { new Conj() }; }
            if (tok.IsAtom("false")) { tok.Next(); return new(); }
            throw tok.Error($"expected a formula but found {tok.Describe()}");
        }
        if (tok.Kind != VnnTokenKind.LParen) throw tok.Error($"expected a formula but found {tok.Describe()}");
        tok.Next();
        if (tok.Kind != VnnTokenKind.Atom) throw tok.Error($"expected an operator but found {tok.Describe()}");
        if (tok.IsAtom("and"))
        {
            tok.Next();
            var acc = new List<Conj> { new Conj() };
            while (tok.Kind != VnnTokenKind.RParen)
            {
                if (tok.Kind == VnnTokenKind.End) throw tok.Error(line, col, "'and' is not closed before the end of the file");
                acc = Distribute(acc, ReadFormula(), line, col);
            }
            tok.Next();
            return acc;
        }
        if (tok.IsAtom("or"))
        {
            tok.Next();
            var acc = new List<Conj>();
            while (tok.Kind != VnnTokenKind.RParen)
            {
                if (tok.Kind == VnnTokenKind.End) throw tok.Error(line, col, "'or' is not closed before the end of the file");
                acc.AddRange(ReadFormula());
                if (acc.Count > VnnLibParser.MaxConjunctions) throw TooManyConjunctions(line, col);
            }
            tok.Next();
            return acc;
        }
        int op = ComparisonOperator();
        if (op < 0)
            throw tok.Error($"unsupported operator {tok.Describe()} in an assertion; supported: and, or, <=, >=, <, >, =");
        // Strict comparisons are read as non-strict: that only adds the boundary to the unsafe set, which is sound for
        // 'unsat' (a larger unsafe set that is unreachable proves the original one unreachable), and a 'sat'
        // counterexample is always re-checked against the network's exact output before it is reported.
        tok.Next();
        var terms = new List<(LinearForm Form, int Line, int Col)>();
        while (tok.Kind != VnnTokenKind.RParen)
        {
            if (tok.Kind == VnnTokenKind.End) throw tok.Error(line, col, "comparison is not closed before the end of the file");
            int tl = tok.Line, tc = tok.Column;
            terms.Add((ReadTerm(), tl, tc));
        }
        if (terms.Count < 2) throw tok.Error($"a comparison needs at least two terms, found {terms.Count}");
        tok.Next();
        var conj = new Conj();
        for (int k = 0; k + 1 < terms.Count; k++)
        {
            var (a, b) = (terms[k].Form, terms[k + 1].Form);
            // op: 0 = '<=' / '<', 1 = '>=' / '>', 2 = '='; each literal is brought to 'diff <= 0'.
            if (op != 1) AddLiteral(conj, Difference(a, b), line, col);
            if (op != 0) AddLiteral(conj, Difference(b, a), line, col);
        }
        _dnfLiterals += conj.Size;
        return new() { conj };
    }

    int ComparisonOperator()
    {
        if (tok.IsAtom("<=") || tok.IsAtom("<")) return 0;
        if (tok.IsAtom(">=") || tok.IsAtom(">")) return 1;
        if (tok.IsAtom("=")) return 2;
        return -1;
    }

    static LinearForm Difference(LinearForm a, LinearForm b)
    {
        var d = new LinearForm();
        d.AddScaled(a, 1);
        d.AddScaled(b, -1);
        return d;
    }

    /// <summary>Adds the literal <c>diff ≤ 0</c> to <paramref name="conj"/> as an input bound, an output row or a constant.</summary>
    void AddLiteral(Conj conj, LinearForm diff, int line, int col)
    {
        diff.Terms.RemoveAll(t => t.Coef == 0);
        bool hasX = false, hasY = false;
        foreach (var (key, _) in diff.Terms)
            if (LinearForm.IsOutput(key)) hasY = true; else hasX = true;
        double rhs = diff.Constant == 0 ? 0 : -diff.Constant; // Σ coef·var ≤ rhs (a positive zero, for readable output)
        if (!hasX && !hasY)
        {
            if (!(0 <= rhs)) conj.False = true;
            return;
        }
        if (hasX && hasY)
            throw tok.Error(line, col, "constraint mixes inputs (X) and outputs (Y); supported: bounds on single inputs " +
                                       "(the input set must be a union of boxes) and linear constraints over outputs only");
        if (hasX)
        {
            if (diff.Terms.Count > 1)
                throw tok.Error(line, col, $"linear constraint over several inputs ({string.Join(", ", diff.Terms.Select(t => LinearForm.NameOf(t.Key)))}) " +
                                           "is not supported: input constraints must bound one variable each (the input set must be a union of boxes)");
            var (k, a) = diff.Terms[0];
            double bound = diff.Quotient(rhs, a);
            if (bound == 0) bound = 0; // 0 / -1 is -0: keep bounds readable
            int index = LinearForm.IndexOf(k);
            if (a > 0)
            {
                // X ≤ rhs / a; when the division (or the term's arithmetic) rounded, widen outward by one ulp so the box
                // never shrinks below the real-number set the file describes.
                if (!diff.Exact) bound = Math.BitIncrement(bound);
                (conj.Bounds ??= new()).Add(new InputBound(index, double.NegativeInfinity, bound));
            }
            else
            {
                if (!diff.Exact) bound = Math.BitDecrement(bound);
                (conj.Bounds ??= new()).Add(new InputBound(index, bound, double.PositiveInfinity));
            }
            return;
        }
        var idx = new int[diff.Terms.Count];
        var coefs = new double[diff.Terms.Count];
        for (int i = 0; i < idx.Length; i++) (idx[i], coefs[i]) = (LinearForm.IndexOf(diff.Terms[i].Key), diff.Terms[i].Coef);
        // Rounded arithmetic in an output row: move D up one ulp so the unsafe set errs larger (best effort; exact
        // coefficients, the case in every VNN-COMP file, are kept as written).
        (conj.Rows ??= new()).Add(new SparseRow(idx, coefs, diff.Exact ? rhs : Math.BitIncrement(rhs)));
    }

    /// <summary>DNF of <c>a ∧ b</c>: every conjunction of <paramref name="a"/> combined with every one of <paramref name="b"/>.</summary>
    List<Conj> Distribute(List<Conj> a, List<Conj> b, int line, int col)
    {
        // Each guard counts the literals a step will create before it creates them, so that a property too large to
        // expand is refused before the memory is spent (the fuzzer's 9 KB file allocated 1 GB before the check fired).
        if (b.Count == 1)
        {
            // The common case (a literal or a plain conjunction): extend in place, no copies.
            if (a.Count > 1 && (_dnfLiterals += (long)(a.Count - 1) * b[0].Size) > MaxDnfLiterals) throw TooManyConjunctions(line, col);
            foreach (var c in a) c.Append(b[0]);
            return a;
        }
        if ((long)a.Count * b.Count > VnnLibParser.MaxConjunctions) throw TooManyConjunctions(line, col);
        long created = b.Count * a.Sum(x => (long)x.Size) + a.Count * b.Sum(y => (long)y.Size);
        if (_dnfLiterals + created > MaxDnfLiterals) throw TooManyConjunctions(line, col);
        var result = new List<Conj>(a.Count * b.Count);
        foreach (var x in a)
            foreach (var y in b)
            {
                var c = x.Clone();
                c.Append(y);
                result.Add(c);
            }
        _dnfLiterals += created;
        return result;
    }

    VnnLibException TooManyConjunctions(int line, int col) => tok.Error(line, col,
        $"the property expands to more than {VnnLibParser.MaxConjunctions:N0} conjunctions (or {MaxDnfLiterals:N0} literals) " +
        "in disjunctive normal form; Certify does not support properties this large");

    // ---- terms ------------------------------------------------------------------------------------------------

    /// <summary>Reads a linear term: a number, a declared variable, or (+ …), (- …), (* …), (/ …) over terms.</summary>
    LinearForm ReadTerm()
    {
        Enter();
        try { return ReadTermAt(); }
        finally { _depth--; }
    }

    LinearForm ReadTermAt()
    {
        if (tok.Kind == VnnTokenKind.Atom)
        {
            var f = new LinearForm();
            if (tok.TryNumber(out double v)) f.Constant = v;
            else if (TryVariable(tok.Text, out bool output, out int index))
            {
                var declared = output ? _declaredY : _declaredX;
                if (!declared.Contains(index))
                    throw tok.Error($"variable {tok.Describe()} is used before it is declared (declare-const {(output ? "Y_" : "X_")}{index} Real)");
                // Before any bound is stored by index: the declarations so far must have no gap.
                if (declared.Gap() is { } gap) throw tok.Error(gap);
                f.Terms.Add((LinearForm.KeyOf(output, index), 1.0));
            }
            else throw tok.Error($"expected a number or a variable X_<i> / Y_<i> but found {tok.Describe()}");
            tok.Next();
            return f;
        }
        if (tok.Kind != VnnTokenKind.LParen) throw tok.Error($"expected a term but found {tok.Describe()}");
        int line = tok.Line, col = tok.Column;
        tok.Next();
        if (tok.Kind != VnnTokenKind.Atom) throw tok.Error($"expected an arithmetic operator but found {tok.Describe()}");
        char op = tok.Text.Length == 1 ? tok.Text[0] : '?';
        if (op is not ('+' or '-' or '*' or '/'))
            throw tok.Error($"unsupported operator {tok.Describe()} in a term; supported: +, -, *, / (linear terms only)");
        tok.Next();
        var args = new List<(LinearForm Form, int Line, int Col)>();
        while (tok.Kind != VnnTokenKind.RParen)
        {
            if (tok.Kind == VnnTokenKind.End) throw tok.Error(line, col, $"'({op}' is not closed before the end of the file");
            int al = tok.Line, ac = tok.Column;
            args.Add((ReadTerm(), al, ac));
        }
        tok.Next();
        if (args.Count == 0) throw tok.Error(line, col, $"'({op})' needs at least one argument");
        var result = new LinearForm();
        switch (op)
        {
            case '+':
                foreach (var a in args) result.AddScaled(a.Form, 1);
                break;
            case '-':
                if (args.Count == 1) result.AddScaled(args[0].Form, -1);
                else
                {
                    result.AddScaled(args[0].Form, 1);
                    for (int i = 1; i < args.Count; i++) result.AddScaled(args[i].Form, -1);
                }
                break;
            case '*':
            {
                int nonConstant = -1;
                for (int i = 0; i < args.Count; i++)
                    if (!args[i].Form.IsConstant)
                    {
                        if (nonConstant >= 0)
                            throw tok.Error(args[i].Line, args[i].Col, "product of two variable terms is not linear; supported: (* constant term)");
                        nonConstant = i;
                    }
                result.AddScaled(args[nonConstant >= 0 ? nonConstant : 0].Form, 1);
                for (int i = 0; i < args.Count; i++)
                    if (i != (nonConstant >= 0 ? nonConstant : 0))
                    {
                        if (!args[i].Form.Exact) result.Exact = false;
                        result.Scale(args[i].Form.Constant);
                    }
                break;
            }
            default: // '/'
                if (args.Count < 2) throw tok.Error(line, col, "'(/ …)' needs a numerator and at least one divisor");
                result.AddScaled(args[0].Form, 1);
                for (int i = 1; i < args.Count; i++)
                {
                    if (!args[i].Form.IsConstant) throw tok.Error(args[i].Line, args[i].Col, "division by a variable term is not linear; supported: division by a constant");
                    if (args[i].Form.Constant == 0) throw tok.Error(args[i].Line, args[i].Col, "division by zero");
                    if (!args[i].Form.Exact) result.Exact = false;
                    result.Divide(args[i].Form.Constant);
                }
                break;
        }
        return result;
    }

    // ---- assembling the specification -------------------------------------------------------------------------

    void AddAssertion(List<Conj> dnf)
    {
        if (dnf.Count == 1)
        {
            // Outside any disjunction: input bounds go straight into the global box (order does not matter for an
            // intersection), output rows stay in file order relative to the disjunctions around them.
            var c = dnf[0];
            if (c.False) _globalFalse = true;
            if (c.Bounds is not null)
                foreach (var b in c.Bounds) Tighten(_lower, _upper, b);
            if (c.Rows is { Count: > 0 }) (_pending.Rows ??= new()).AddRange(c.Rows);
            _dnfLiterals -= c.Size;
            return;
        }
        if (_pending.Rows is { Count: > 0 }) { _factors.Add(new() { _pending }); _pending = new Conj(); }
        _factors.Add(dnf);
    }

    static void Tighten(List<double> lower, List<double> upper, InputBound b)
    {
        while (lower.Count <= b.Index) { lower.Add(double.NegativeInfinity); upper.Add(double.PositiveInfinity); }
        lower[b.Index] = Math.Max(lower[b.Index], b.Lower);
        upper[b.Index] = Math.Min(upper[b.Index], b.Upper);
    }

    Specification Finish()
    {
        if (_pending.Rows is { Count: > 0 }) _factors.Add(new() { _pending });
        int n = CheckDeclared(_declaredX, "X"), m = CheckDeclared(_declaredY, "Y");
        while (_lower.Count < n) { _lower.Add(double.NegativeInfinity); _upper.Add(double.PositiveInfinity); }

        long total = 1;
        foreach (var f in _factors)
        {
            total *= f.Count;
            if (total > VnnLibParser.MaxConjunctions)
                throw new VnnLibException(file, 0, 0, $"the assertions together expand to more than {VnnLibParser.MaxConjunctions:N0} " +
                                                      "conjunctions in disjunctive normal form; Certify does not support properties this large");
        }
        var regions = new List<(double[] Lo, double[] Hi, List<Conjunction> Disjuncts)>();
        if (_globalFalse || total == 0) return new Specification(Array.Empty<InputRegion>(), n, m, file);

        var byBox = new Dictionary<BoxKey, int>();
        var choice = new int[_factors.Count];
        var local = new Dictionary<int, (double Lo, double Hi)>();
        for (long combo = 0; combo < total; combo++)
        {
            // Odometer over the factors, the last one varying fastest, so disjuncts keep file order.
            if (combo > 0)
                for (int f = _factors.Count - 1; f >= 0; f--)
                {
                    if (++choice[f] < _factors[f].Count) break;
                    choice[f] = 0;
                }
            local.Clear();
            bool empty = false;
            for (int f = 0; f < _factors.Count && !empty; f++)
            {
                var c = _factors[f][choice[f]];
                if (c.False) { empty = true; break; }
                if (c.Bounds is null) continue;
                foreach (var b in c.Bounds)
                {
                    var (lo, hi) = local.TryGetValue(b.Index, out var cur) ? cur : (_lower[b.Index], _upper[b.Index]);
                    local[b.Index] = (Math.Max(lo, b.Lower), Math.Min(hi, b.Upper));
                }
            }
            if (empty) continue;
            var entries = local.Where(e => e.Value.Lo != _lower[e.Key] || e.Value.Hi != _upper[e.Key])
                               .OrderBy(e => e.Key).Select(e => (e.Key, e.Value.Lo, e.Value.Hi)).ToArray();
            var key = new BoxKey(entries);
            if (!byBox.TryGetValue(key, out int r))
            {
                var lo = _lower.ToArray();
                var hi = _upper.ToArray();
                foreach (var (i, l, h) in entries) { lo[i] = l; hi[i] = h; }
                if (IsEmpty(lo, hi)) { byBox[key] = -1; continue; }
                CheckBounded(lo, hi, local.Count > 0);
                r = regions.Count;
                byBox[key] = r;
                regions.Add((lo, hi, new List<Conjunction>()));
            }
            if (r < 0) continue;
            var rows = new List<HalfSpace>();
            for (int f = 0; f < _factors.Count; f++)
                if (_factors[f][choice[f]].Rows is { } rs)
                    foreach (var row in rs) rows.Add(row.Dense(m));
            regions[r].Disjuncts.Add(new Conjunction(rows));
        }
        return new Specification(regions.Select(g => new InputRegion(g.Lo, g.Hi, new OutputCondition(g.Disjuncts))).ToArray(), n, m, file);
    }

    static bool IsEmpty(double[] lo, double[] hi)
    {
        for (int i = 0; i < lo.Length; i++) if (!(lo[i] <= hi[i])) return true;
        return false;
    }

    void CheckBounded(double[] lo, double[] hi, bool inDisjunction)
    {
        for (int i = 0; i < lo.Length; i++)
        {
            string? side = double.IsNegativeInfinity(lo[i]) ? "lower" : double.IsPositiveInfinity(hi[i]) ? "upper" : null;
            if (side is not null)
                throw new VnnLibException(file, 0, 0, $"input X_{i} has no {side} bound{(inDisjunction ? " in one of the disjuncts" : "")}; " +
                                                      "every input needs a finite lower and upper bound (the input set must be a box)");
        }
    }

    int CheckDeclared(Declarations declared, string prefix)
    {
        if (declared.Count == 0)
            throw new VnnLibException(file, 0, 0, $"no {(prefix == "X" ? "input" : "output")} variables declared (declare-const {prefix}_0 Real)");
        if (declared.Gap() is { } gap) throw new VnnLibException(file, 0, 0, gap);
        return declared.Count;
    }

    /// <summary>A disjunct's box as its deviations from the global box, compared by value.</summary>
    readonly struct BoxKey((int I, double Lo, double Hi)[] entries) : IEquatable<BoxKey>
    {
        readonly (int I, double Lo, double Hi)[] _e = entries;
        public bool Equals(BoxKey o) => _e.AsSpan().SequenceEqual(o._e);
        public override bool Equals(object? o) => o is BoxKey k && Equals(k);
        public override int GetHashCode()
        {
            var h = new HashCode();
            foreach (var e in _e) h.Add(e);
            return h.ToHashCode();
        }
    }
}

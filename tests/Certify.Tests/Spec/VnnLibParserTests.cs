using System.IO.Compression;
using System.Text;
using Certify.Spec;

namespace Certify.Tests.Spec;

/// <summary>Semantics of the VNNLIB parser on small hand-written properties, and its errors.</summary>
public sealed class VnnLibParserTests
{
    static Specification P(string text) => VnnLibParser.Parse(new StringReader(text), "t.vnnlib");

    static string Decl(int inputs, int outputs) =>
        string.Concat(Enumerable.Range(0, inputs).Select(i => $"(declare-const X_{i} Real)\n")) +
        string.Concat(Enumerable.Range(0, outputs).Select(i => $"(declare-const Y_{i} Real)\n"));

    static VnnLibException Fails(string text) => Assert.Throws<VnnLibException>(() => P(text));

    [Fact]
    public void TopLevelDisjunctionOverBoxesGivesOneRegionPerBox()
    {
        var s = P(Decl(2, 2) + """
            (assert (>= X_1 -1)) (assert (<= X_1 1))
            (assert (or (and (>= X_0 0) (<= X_0 1) (<= Y_0 Y_1))
                        (and (>= X_0 2) (<= X_0 3) (>= Y_0 5))))
            """);
        Assert.Equal(2, s.Regions.Count);
        Assert.Equal(new[] { 0.0, -1 }, s.Regions[0].Lower);
        Assert.Equal(new[] { 1.0, 1 }, s.Regions[0].Upper);
        Assert.Equal(new[] { 2.0, -1 }, s.Regions[1].Lower);
        Assert.Equal(new[] { 3.0, 1 }, s.Regions[1].Upper);
        var r0 = Assert.Single(Assert.Single(s.Regions[0].Unsafe.Disjuncts).Rows);
        Assert.Equal(new[] { 1.0, -1 }, r0.C);
        Assert.Equal(0, r0.D);
        var r1 = Assert.Single(Assert.Single(s.Regions[1].Unsafe.Disjuncts).Rows);
        Assert.Equal(new[] { -1.0, 0 }, r1.C);
        Assert.Equal(-5, r1.D);
        // Semantics: (0.5, 0) with y = (1, 2) violates region 0; the same y is safe in region 1.
        Assert.True(s.IsCounterexample(new[] { 0.5, 0 }, new[] { 1.0, 2 }));
        Assert.False(s.IsCounterexample(new[] { 2.5, 0 }, new[] { 1.0, 2 }));
        Assert.True(s.IsCounterexample(new[] { 2.5, 0 }, new[] { 6.0, 2 }));
        Assert.False(s.IsCounterexample(new[] { 1.5, 0 }, new[] { 6.0, 2 }));
    }

    [Fact]
    public void OutputDisjunctionGivesOneConjunctionPerDisjunctInOrder()
    {
        var s = P(Decl(1, 3) + """
            (assert (<= X_0 1)) (assert (>= X_0 0))
            (assert (or (and (>= Y_1 Y_0)) (and (>= Y_2 Y_0) (<= Y_2 4))))
            """);
        var r = Assert.Single(s.Regions);
        Assert.Equal(2, r.Unsafe.Disjuncts.Count);
        var rows = r.Unsafe.Rows.ToList();
        Assert.Equal(new[] { 0, 1, 1 }, rows.Select(t => t.Clause));
        Assert.Equal(new[] { 1.0, -1, 0 }, rows[0].Row.C);
        Assert.Equal(new[] { 1.0, 0, -1 }, rows[1].Row.C);
        Assert.Equal(new[] { 0.0, 0, 1 }, rows[2].Row.C);
        Assert.Equal(4, rows[2].Row.D);
    }

    [Fact]
    public void AssertionsAreConjoinedAndDistributed()
    {
        // Two X-disjunctions times two Y-disjunctions, with an unconditional row in between: rows keep file order.
        var s = P(Decl(1, 2) + """
            (assert (or (and (>= X_0 0) (<= X_0 1)) (and (>= X_0 1) (<= X_0 2))))
            (assert (<= Y_0 10))
            (assert (or (<= Y_0 0) (<= Y_1 0)))
            """);
        Assert.Equal(2, s.Regions.Count);
        foreach (var r in s.Regions)
        {
            Assert.Equal(2, r.Unsafe.Disjuncts.Count);
            Assert.Equal(new[] { 10.0, 0 }, r.Unsafe.Disjuncts[0].Rows.Select(h => h.D));
            Assert.Equal(new[] { 1.0, 0 }, r.Unsafe.Disjuncts[0].Rows[1].C);
            Assert.Equal(new[] { 0.0, 1 }, r.Unsafe.Disjuncts[1].Rows[1].C);
        }
    }

    [Fact]
    public void NestedAndOrToAnyDepth()
    {
        var s = P(Decl(1, 1) + """
            (assert (and (>= X_0 0) (<= X_0 1)
              (or (and (or (<= Y_0 1) (<= Y_0 2)) (>= Y_0 -1)) (and (and (and (<= Y_0 3)))))))
            """);
        var r = Assert.Single(s.Regions);
        Assert.Equal(new[] { new[] { 1.0, 1 }, new[] { 2.0, 1 }, new[] { 3.0 } },
            r.Unsafe.Disjuncts.Select(d => d.Rows.Select(h => h.D).ToArray()));
    }

    [Fact]
    public void StrictComparisonsReadAsNonStrict()
    {
        var a = P(Decl(1, 2) + "(assert (< X_0 1)) (assert (> X_0 0)) (assert (< Y_0 Y_1))");
        var b = P(Decl(1, 2) + "(assert (<= X_0 1)) (assert (>= X_0 0)) (assert (<= Y_0 Y_1))");
        Assert.Equal(b.Regions[0].Lower, a.Regions[0].Lower);
        Assert.Equal(b.Regions[0].Upper, a.Regions[0].Upper);
        Assert.Equal(b.Regions[0].Unsafe.Disjuncts[0].Rows[0].C, a.Regions[0].Unsafe.Disjuncts[0].Rows[0].C);
    }

    [Fact]
    public void GeneralLinearOutputTerms()
    {
        var s = P(Decl(1, 2) + """
            (assert (>= X_0 0)) (assert (<= X_0 1))
            (assert (<= (+ (* 2.0 Y_0) (* -1 Y_1)) 3))
            (assert (>= (- Y_0 (* 0.5 Y_1) 1) (+ Y_1 2)))
            (assert (<= (- Y_0) (/ 1 4)))
            """);
        var rows = Assert.Single(Assert.Single(s.Regions).Unsafe.Disjuncts).Rows;
        Assert.Equal(new[] { 2.0, -1 }, rows[0].C);
        Assert.Equal(3, rows[0].D);
        // Y_1 + 2 - (Y_0 - 0.5 Y_1 - 1) <= 0  <=>  -Y_0 + 1.5 Y_1 <= -3
        Assert.Equal(new[] { -1.0, 1.5 }, rows[1].C);
        Assert.Equal(-3, rows[1].D);
        Assert.Equal(new[] { -1.0, 0 }, rows[2].C);
        Assert.Equal(0.25, rows[2].D);
    }

    [Theory]
    [InlineData("3", 3.0)]
    [InlineData("-3", -3.0)]
    [InlineData("(- 3)", -3.0)]
    [InlineData("0.125", 0.125)]
    [InlineData("1e-5", 1e-5)]
    [InlineData("-1.5E3", -1500.0)]
    [InlineData("2.5e+2", 250.0)]
    [InlineData("(/ 1 4)", 0.25)]
    [InlineData("(/ -3 (- 2))", 1.5)]
    [InlineData("(* 2 (+ 1 0.5))", 3.0)]
    public void NumberForms(string number, double value)
    {
        var s = P(Decl(1, 1) + $"(assert (<= X_0 {number})) (assert (>= X_0 -1e4)) (assert (<= Y_0 {number}))");
        Assert.Equal(value, s.Regions[0].Upper[0]);
        Assert.Equal(value, s.Regions[0].Unsafe.Disjuncts[0].Rows[0].D);
    }

    [Fact]
    public void RoundedInputBoundsAreWidenedOutward()
    {
        // X_0 <= 1/3 and X_0 >= -1/3 cannot be represented exactly: the box must contain the real interval.
        var s = P(Decl(1, 1) + "(assert (<= (* 3 X_0) 1)) (assert (>= X_0 (/ -1 3))) (assert (<= Y_0 0))");
        var r = s.Regions[0];
        Assert.Equal(Math.BitIncrement(1.0 / 3), r.Upper[0]);
        Assert.Equal(Math.BitDecrement(-1.0 / 3), r.Lower[0]);
        // Exact divisions are kept as they are.
        var t = P(Decl(1, 1) + "(assert (<= (* 4 X_0) 1)) (assert (>= (* -2 X_0) -1)) (assert (>= X_0 0)) (assert (<= Y_0 0))");
        Assert.Equal(0.25, t.Regions[0].Upper[0]);
    }

    [Fact]
    public void EqualityAndChainsAndTrivialLiterals()
    {
        var s = P(Decl(2, 1) + "(assert (= X_0 0.5)) (assert (<= -1 X_1 1)) (assert (<= 0 1)) (assert (>= (* 0 Y_0) -1)) (assert (<= Y_0 0))");
        var r = Assert.Single(s.Regions);
        Assert.Equal(new[] { 0.5, -1 }, r.Lower);
        Assert.Equal(new[] { 0.5, 1 }, r.Upper);
        Assert.Single(Assert.Single(r.Unsafe.Disjuncts).Rows);
    }

    [Fact]
    public void EmptyDisjunctsAreDropped()
    {
        var s = P(Decl(1, 1) + "(assert (>= X_0 0)) (assert (<= X_0 1)) (assert (or (and (>= X_0 2) (<= Y_0 0)) (and (<= 1 0) (<= Y_0 1)) (<= Y_0 2)))");
        var r = Assert.Single(s.Regions);
        Assert.Equal(2.0, Assert.Single(Assert.Single(r.Unsafe.Disjuncts).Rows).D);
        Assert.Empty(P(Decl(1, 1) + "(assert (>= X_0 0)) (assert (<= X_0 -1)) (assert (<= Y_0 0))").Regions);
    }

    [Fact]
    public void CommentsAndIgnoredCommands()
    {
        var s = P("; header\n(set-logic QF_LRA)\n(set-info :source |a (quoted) symbol|)\n" + Decl(1, 1) +
                  "(assert (<= X_0 1)) ; trailing comment\n(assert (>= X_0 0))(assert (<= Y_0 0))\n(check-sat)\n(exit)\n");
        Assert.Equal(1.0, s.Regions[0].Upper[0]);
    }

    [Fact]
    public void GzipFilesAreRead()
    {
        var path = Path.Combine(Path.GetTempPath(), $"certify-{Guid.NewGuid():N}.vnnlib.gz");
        try
        {
            using (var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest))
                gz.Write(Encoding.UTF8.GetBytes(Decl(1, 1) + "(assert (<= X_0 1)) (assert (>= X_0 0)) (assert (<= Y_0 0))"));
            var s = VnnLibParser.Parse(path);
            Assert.Equal(1.0, s.Regions[0].Upper[0]);
            Assert.Equal(path, s.Source);
        }
        finally { File.Delete(path); }
    }

    // ---- errors ---------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1)", 3, 2, "'assert' is not closed before the end of the file")]
    [InlineData("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_1 1))", 3, 13, "variable 'X_1' is used before it is declared")]
    [InlineData("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n  (assert (<= X_0 abc))", 3, 19, "expected a number or a variable")]
    [InlineData("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1.2.3))", 3, 17, "malformed number '1.2.3'")]
    [InlineData("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 Y_0))", 3, 9, "mixes inputs (X) and outputs (Y)")]
    [InlineData("(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(assert\n  (<= (+ X_0 X_1) 1))", 5, 3, "linear constraint over several inputs (X_0, X_1)")]
    [InlineData("(declare-const X_0 Int)", 1, 20, "expected sort Real for X_0 but found 'Int'")]
    [InlineData("(declare-const Z_0 Real)", 1, 16, "unsupported variable name 'Z_0'")]
    [InlineData("(declare-const X_0 Real)\n(declare-const X_0 Real)", 2, 16, "X_0 is declared twice")]
    [InlineData("(declare-const X_0 Real))", 1, 25, "expected '(' starting a command but found ')'")]
    [InlineData("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (=> (<= X_0 1) (<= Y_0 1)))", 3, 10, "unsupported operator '=>' in an assertion; supported: and, or, <=, >=, <, >, =")]
    [InlineData("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= (exp X_0) 1))", 3, 14, "unsupported operator 'exp' in a term")]
    [InlineData("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= (/ X_0 Y_0) 1))", 3, 20, "division by a variable term")]
    [InlineData("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1e999))", 3, 17, "outside the range of double precision")]
    [InlineData("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0))", 3, 16, "a comparison needs at least two terms")]
    public void MalformedInputGivesLineAndColumn(string text, int line, int column, string problem)
    {
        var e = Fails(text);
        Assert.Contains(problem, e.Message);
        Assert.Equal((line, column), (e.Line, e.Column));
        Assert.StartsWith($"t.vnnlib:{line}:{column}: ", e.Message);
    }

    [Theory]
    [InlineData("(assert (<= X_0 1)) (assert (>= X_0 0)) (assert (<= X_1 1)) (assert (<= Y_0 0))", "input X_1 has no lower bound")]
    [InlineData("(assert (<= X_0 1)) (assert (>= X_0 0)) (assert (>= X_1 1)) (assert (<= Y_0 0))", "input X_1 has no upper bound")]
    [InlineData("(assert (<= X_0 1)) (assert (>= X_0 0)) (assert (<= Y_0 0))", "input X_1 has no lower bound")]
    [InlineData("(assert (<= X_1 1)) (assert (>= X_1 0)) (assert (or (and (>= X_0 0) (<= X_0 1)) (<= X_0 5)))", "input X_0 has no lower bound in one of the disjuncts")]
    public void MissingBoundsNameTheVariable(string asserts, string problem)
    {
        var e = Fails(Decl(2, 1) + asserts);
        Assert.Contains(problem, e.Message);
        Assert.StartsWith("t.vnnlib: ", e.Message);
    }

    [Fact]
    public void DeclarationGapsAreReported()
    {
        Assert.Contains("X_1 is not declared but X_2 is", Fails("(declare-const X_0 Real)(declare-const X_2 Real)(declare-const Y_0 Real)").Message);
        Assert.Contains("no output variables declared", Fails("(declare-const X_0 Real)(assert (<= X_0 1))").Message);
    }

    [Fact]
    public void DisjunctiveNormalFormBlowUpIsRefused()
    {
        // Six conjoined 10-way disjunctions expand to 10^6 conjunctions: above the limit, refused with a clear message.
        var or = "(assert (or " + string.Concat(Enumerable.Range(0, 10).Select(k => $"(<= Y_0 {k})")) + "))\n";
        var text = Decl(1, 1) + "(assert (<= X_0 1)) (assert (>= X_0 0))\n";
        var e = Fails(text + string.Concat(Enumerable.Repeat(or, 6)));
        Assert.Contains("more than 100,000 conjunctions", e.Message);
        // The same inside one assertion is caught while it is being distributed, at the 'and'.
        var nested = "(assert (and " + string.Concat(Enumerable.Repeat(or[8..^2], 6)) + "))";
        e = Fails(text + nested);
        Assert.Contains("more than 100,000 conjunctions", e.Message);
        Assert.Equal(4, e.Line);
        // Four of them (10^4) are fine.
        Assert.Equal(10_000, P(text + string.Concat(Enumerable.Repeat(or, 4))).Regions[0].Unsafe.Disjuncts.Count);
    }

    [Fact]
    public void LargeStreamIsParsedWithoutWholeFileStrings()
    {
        // 300,000 inputs (about 14 MB of text) produced on the fly by a reader that never holds the whole text.
        const int n = 300_000;
        var s = VnnLibParser.Parse(new GeneratedReader(n), "generated.vnnlib");
        Assert.Equal(n, s.InputSize);
        var r = Assert.Single(s.Regions);
        Assert.Equal(0.25, r.Lower[n - 1]);
        Assert.Equal(0.5 + (n - 1) * 1e-6, r.Upper[n - 1], 1e-15);
        Assert.Equal(9, r.Unsafe.Disjuncts.Count);
    }

    /// <summary>A robustness-style VNNLIB text generated line by line.</summary>
    sealed class GeneratedReader(int inputs) : TextReader
    {
        int _line;
        string _current = "";
        int _pos;

        string? NextLine()
        {
            int k = _line++;
            if (k < inputs) return $"(declare-const X_{k} Real)\n";
            k -= inputs;
            if (k < 10) return $"(declare-const Y_{k} Real)\n";
            k -= 10;
            if (k < inputs) return $"(assert (<= X_{k} {(0.5 + k * 1e-6).ToString("R", System.Globalization.CultureInfo.InvariantCulture)}))\n(assert (>= X_{k} 0.25))\n";
            k -= inputs;
            if (k == 0) return "(assert (or " + string.Concat(Enumerable.Range(1, 9).Select(j => $"(and (>= Y_{j} Y_0))")) + "))\n";
            return null;
        }

        public override int Read(char[] buffer, int index, int count)
        {
            while (_pos == _current.Length)
            {
                var l = NextLine();
                if (l is null) return 0;
                (_current, _pos) = (l, 0);
            }
            int c = Math.Min(count, _current.Length - _pos);
            _current.CopyTo(_pos, buffer, index, c);
            _pos += c;
            return c;
        }
    }
}

/// <summary>Work the parser does is bounded by the file's size, not by the numbers written in it.</summary>
public sealed class VnnLibParserCostTests
{
    [Fact]
    public void A_huge_declared_index_is_refused_without_allocating_by_it()
    {
        // The largest index the tokenizer takes: the old parser grew a list of that many flags (537 MB) before refusing the gap.
        const string text = "(declare-const X_0 Real)\n(declare-const X_536870911 Real)\n(declare-const Y_0 Real)\n(assert (<= 0 X_0 1))\n(assert (>= Y_0 1))\n";
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<VnnLibException>(() => VnnLibParser.Parse(new StringReader(text), "huge.vnnlib"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("X_1 is not declared but X_536870911 is", e.Message);
        Assert.Contains("huge.vnnlib:4", e.Message);   // at the first use, before any bound is stored by index
        Assert.True(allocated < 16 << 20, $"the parser allocated {allocated:N0} bytes for a {text.Length}-byte file");
    }
}

using Certify.Spec;

namespace Certify.Tests.Spec;

/// <summary>VNN-COMP result files: what Certify writes and the variants other tools write.</summary>
public sealed class ResultFileTests
{
    static VerificationResult R(string text) => ResultFile.Read(new StringReader(text), "r.txt");

    [Fact]
    public void SatWithCounterexampleRoundTripsExactly()
    {
        var x = new[] { 0.1, -1.0 / 3, 1e-300, -0.0 };
        var y = new[] { 12345.678901234567, -2.5e-17 };
        var path = Path.Combine(Path.GetTempPath(), $"certify-{Guid.NewGuid():N}.txt");
        try
        {
            ResultFile.Write(path, ResultStatus.Sat, x, y);
            var text = File.ReadAllText(path);
            Assert.StartsWith("sat\n((X_0 0.1)\n (X_1 -0.3333333333333333)\n", text);
            Assert.EndsWith(" (Y_1 -2.5E-17))\n", text);
            var r = ResultFile.Read(path);
            Assert.Equal(ResultStatus.Sat, r.Status);
            Assert.Equal(x, r.X);
            Assert.Equal(y, r.Y);
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData(ResultStatus.Unsat, "unsat\n")]
    [InlineData(ResultStatus.Unknown, "unknown\n")]
    [InlineData(ResultStatus.Timeout, "timeout\n")]
    [InlineData(ResultStatus.Error, "error\n")]
    [InlineData(ResultStatus.Sat, "sat\n")]
    public void StatusOnlyFiles(ResultStatus status, string expected)
    {
        var w = new StringWriter();
        ResultFile.Write(w, status);
        Assert.Equal(expected, w.ToString());
        var r = R(w.ToString());
        Assert.Equal(status, r.Status);
        Assert.Null(r.X);
        Assert.Null(r.Y);
    }

    [Theory]
    [InlineData("holds", ResultStatus.Unsat)]
    [InlineData("violated\n", ResultStatus.Sat)]
    [InlineData("  SAT  \n\n", ResultStatus.Sat)]
    [InlineData("Unsat", ResultStatus.Unsat)]
    [InlineData("\n\ntimeout\n", ResultStatus.Timeout)]
    public void StatusVariants(string text, ResultStatus status) => Assert.Equal(status, R(text).Status);

    [Fact]
    public void AssignmentVariants()
    {
        // Without enclosing parentheses, several pairs per line, tabs, exponent forms and (- v).
        var r = R("sat\n(X_0 1.0)\n(X_1   -2e-3) (X_2 (- 4))\n\t(Y_0 1E2)\n(Y_1 .5)\n");
        Assert.Equal(new[] { 1.0, -2e-3, -4 }, r.X);
        Assert.Equal(new[] { 100.0, 0.5 }, r.Y);
        // The standard layout, with extra blank lines and windows line ends.
        r = R("sat\r\n((X_0 0.25)\r\n (Y_0 -1))\r\n\r\n");
        Assert.Equal(new[] { 0.25 }, r.X);
        Assert.Equal(new[] { -1.0 }, r.Y);
        // Inputs only.
        r = R("violated\n((X_0 3))");
        Assert.Equal(new[] { 3.0 }, r.X);
        Assert.Null(r.Y);
    }

    [Theory]
    [InlineData("maybe\n", "unknown status 'maybe'")]
    [InlineData("sat\n((X_0 1) (X_2 2))", "X_1 is missing")]
    [InlineData("sat\n((X_0 1) (X_0 2))", "X_0 is assigned twice")]
    [InlineData("sat\n((X_0 abc))", "expected a number for X_0")]
    [InlineData("sat\n((Z_0 1))", "expected an assignment")]
    [InlineData("unsat\n((X_0 1))", "must not carry an assignment")]
    [InlineData("", "expected a status")]
    public void MalformedFilesAreReported(string text, string problem)
    {
        var e = Assert.Throws<FormatException>(() => R(text));
        Assert.Contains(problem, e.Message);
        Assert.StartsWith("r.txt", e.Message);
    }

    [Fact]
    public void WriterRefusesInconsistentResults()
    {
        Assert.Throws<ArgumentException>(() => ResultFile.Write(new StringWriter(), ResultStatus.Unsat, new[] { 1.0 }));
        Assert.Throws<ArgumentException>(() => ResultFile.Write(new StringWriter(), ResultStatus.Sat, new[] { double.NaN }));
    }
}

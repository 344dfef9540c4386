using System.Globalization;
using System.Text.RegularExpressions;
using Certify.Cli.Commands;
using Certify.Reports;
using Certify.Tests.Cli;
using SkiaSharp;

namespace Certify.Tests.Reports;

/// <summary>
/// <c>certify report</c> on small results files made here, whose counts the test knows by construction: the HTML holds
/// each family's row with those counts and the disagreement, the PNG decodes at the asked size, each run's line is
/// drawn, and the run that solved more reaches higher; a malformed file is one line naming file and line, exit 2.
/// </summary>
public sealed class ReportTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("certify-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>One synthetic row: family, instance number, result, seconds, label.</summary>
    sealed record R(string Family, int I, string Result, double Seconds, string? Label);

    string Write(string name, IEnumerable<R> rows)
    {
        var path = Path.Combine(_dir, name + ".csv");
        File.WriteAllLines(path, new[] { "family,network,property,result,seconds,label" }
            .Concat(rows.Select(r => $"{r.Family},net{r.I},prop{r.I},{r.Result},{r.Seconds.ToString(CultureInfo.InvariantCulture)},{r.Label}")));
        return path;
    }

    // fast: family A solves 5 of 6 (one timeout), B 3 of 4 with one sat against the label unsat (wrong: not solved).
    static readonly R[] Fast =
    [
        new("A", 1, "unsat", 0.02, "unsat"), new("A", 2, "unsat", 0.05, "unsat"), new("A", 3, "sat", 0.3, "sat"),
        new("A", 4, "unsat", 1.5, null), new("A", 5, "sat", 4.0, null), new("A", 6, "timeout", 60, "unsat"),
        new("B", 1, "unsat", 0.4, "unsat"), new("B", 2, "sat", 2.0, "unsat"), new("B", 3, "unknown", 9, null), new("B", 4, "error", 0.1, null),
    ];

    // slow: the same instances, fewer solved and later; B's instance 2 answered unsat (so fast and slow also disagree).
    static readonly R[] Slow =
    [
        new("A", 1, "unsat", 2, "unsat"), new("A", 2, "timeout", 60, "unsat"), new("A", 3, "sat", 8, "sat"),
        new("A", 4, "unknown", 30, null), new("A", 5, "timeout", 60, null), new("A", 6, "timeout", 60, "unsat"),
        new("B", 1, "unsat", 5, "unsat"), new("B", 2, "unsat", 20, "unsat"), new("B", 3, "timeout", 60, null), new("B", 4, "unsat", 1, null),
    ];

    /// <summary>The table row the report must show, counted here from the synthetic rows.</summary>
    static string ExpectedRow(string run, string family, IEnumerable<R> all)
    {
        var rows = all.Where(r => family == "all" || r.Family == family).ToList();
        bool Wrong(R r) => r.Result is "sat" or "unsat" && r.Label is not null && r.Label != r.Result;
        int solved = rows.Count(r => r.Result is "sat" or "unsat" && !Wrong(r));
        return $"<td class=\"l\">{run}</td><td class=\"l\">{family}</td><td>{rows.Count}</td><td>{solved}</td>" +
               $"<td>{rows.Count(r => r.Result == "unsat")}</td><td>{rows.Count(r => r.Result == "sat")}</td>" +
               $"<td>{rows.Count(r => r.Result is "unknown" or "timeout")}</td><td>{rows.Count(r => r.Result == "error")}</td>";
    }

    [Fact]
    public void ReportHasTheTableRowsTheDisagreementAndACactusPlot()
    {
        var fast = Write("fast", Fast);
        var slow = Write("slow", Slow);
        var html = Path.Combine(_dir, "out.html");
        var png = Path.Combine(_dir, "cactus.png");
        var (code, output) = CommandHarness.Invoke<ReportCommand>("report", fast, slow, "--html", html, "--png", png, "--width", "800", "--height", "500");
        Assert.Equal(Certify.Cli.ExitCodes.Failure, code);   // B/net2 is answered against its label
        var page = File.ReadAllText(html);
        foreach (var (run, rows) in new[] { ("fast", Fast), ("slow", Slow) })
            foreach (var family in new[] { "A", "B", "all" })
                Assert.Contains(ExpectedRow(run, family, rows), page);
        // The one disagreement: B/net2 (fast sat against the label unsat; fast and slow sat vs unsat). Nothing else.
        Assert.Single(Regex.Matches(page, "<tr><td class=\"l\">B</td><td class=\"l\">net2</td><td class=\"l\">prop2</td><td class=\"l\">unsat</td><td class=\"l bad\">sat</td><td class=\"l\">unsat</td>"));
        Assert.Single(Regex.Matches(output, "^disagreement:", RegexOptions.Multiline));

        // The PNG: the asked size, the same image as the one in the page, and both lines drawn.
        var bytes = File.ReadAllBytes(png);
        Assert.Contains(Convert.ToBase64String(bytes), page);
        using var image = SKBitmap.Decode(bytes);
        Assert.NotNull(image);
        Assert.Equal((800, 500), (image.Width, image.Height));
        var (_, fastCount) = Line(image, CactusPlot.Palette(0), 0, image.Width);
        var (_, slowCount) = Line(image, CactusPlot.Palette(1), 0, image.Width);
        Assert.True(fastCount > 100 && slowCount > 100, $"a run's line is missing ({fastCount} and {slowCount} pixels of its colour)");
        // At the right end every line is flat at its run's total: fast solved 6 (A1-A5, B1; B2 is wrong), slow 5 (A1, A3,
        // B1, B2, B4), so there fast's line is higher (a smaller row). The band is right of the legend (upper left).
        var (fastEnd, _) = Line(image, CactusPlot.Palette(0), image.Width - 80, image.Width - 40);
        var (slowEnd, _) = Line(image, CactusPlot.Palette(1), image.Width - 80, image.Width - 40);
        Assert.True(fastEnd < slowEnd, $"at the right end fast's line is at row {fastEnd}, slow's at {slowEnd}");
    }

    /// <summary>In columns [<paramref name="x0"/>, <paramref name="x1"/>), the highest row (smallest y) with a pixel close to <paramref name="c"/>, and how many such pixels there are.</summary>
    static (int Top, int Count) Line(SKBitmap image, ScottPlot.Color c, int x0, int x1)
    {
        int top = int.MaxValue, count = 0;
        for (int y = 0; y < image.Height; y++)
            for (int x = x0; x < x1; x++)
            {
                var p = image.GetPixel(x, y);
                if (Math.Abs(p.Red - c.R) + Math.Abs(p.Green - c.G) + Math.Abs(p.Blue - c.B) < 30) { count++; top = Math.Min(top, y); }
            }
        return (top, count);
    }

    [Theory]
    [InlineData("family,network,property,result,seconds\nA,n1,p1,unsat,1.0\nA,n2,p2,maybe,2.0\n", 3, "maybe")]
    [InlineData("family,network,property,result,seconds\nA,n1,p1,unsat,fast\n", 2, "fast")]
    [InlineData("family,network,property,result,seconds\nA,n1,p1,unsat,-1\n", 2, "-1")]
    [InlineData("family,network,property,result,seconds,label\nA,n1,p1,unsat,1,holds?\n", 2, "holds?")]
    [InlineData("family,network,result,seconds\nA,n1,unsat,1\n", 1, "property")]
    [InlineData("onnx,vnnlib,timeout\na.onnx,b.vnnlib,60\n", 1, "family")]
    public void BadResultsFileIsOneLineNamingFileAndLine(string text, int line, string quoted)
    {
        var good = Write("good", Fast);
        var bad = Path.Combine(_dir, "bad.csv");
        File.WriteAllText(bad, text);
        var o = CliProcess.Run(["report", good, bad, "--html", Path.Combine(_dir, "x.html")]);
        Assert.Equal(Certify.Cli.ExitCodes.BadInput, o.Code);
        var lines = o.Stderr.Trim().Split('\n');
        Assert.Single(lines);
        Assert.StartsWith($"certify: {bad}:{line}: ", lines[0]);
        Assert.Contains(quoted, lines[0]);
        Assert.False(File.Exists(Path.Combine(_dir, "x.html")), "a report was written from a bad file");
    }
}

using System.Text.Json;
using Certify.Cli;
using Certify.Cli.Commands;

namespace Certify.Tests.Spec;

/// <summary><c>certify spec</c> on real properties: text and JSON summaries, errors.</summary>
public sealed class SpecCommandTests
{
    static (int Code, string Output) Run(params string[] args) => CommandHarness.Invoke<SpecCommand>(args);

    [SkippableFact]
    public void TextSummaryOfMultiRegionProperty()
    {
        var path = Path.Combine(TestPaths.RequireBench(), "acasxu", "vnnlib", "prop_6.vnnlib");
        var (code, text) = Run("spec", path, "--max", "2");
        Assert.Equal(0, code);
        Assert.Contains("inputs 5, outputs 5, regions 2, disjuncts 8, rows 8", text);
        Assert.Contains("[0] -Y_0 + Y_1 <= 0", text);
        Assert.Contains("... 2 more disjunct(s)", text);
    }

    [SkippableFact]
    public void JsonSummary()
    {
        var path = Path.Combine(TestPaths.RequireBench(), "acasxu", "vnnlib", "prop_3.vnnlib");
        var (code, text) = Run("spec", path, "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(text);
        var root = doc.RootElement;
        Assert.Equal(5, root.GetProperty("inputs").GetInt32());
        var region = Assert.Single(root.GetProperty("regions").EnumerateArray());
        var rows = region.GetProperty("disjuncts")[0].GetProperty("rows");
        Assert.Equal(4, rows.GetArrayLength());
        Assert.Equal("Y_0 - Y_1 <= 0", rows[0].GetProperty("text").GetString());
        Assert.Equal(-1, rows[0].GetProperty("c").GetProperty("1").GetDouble());
        Assert.Equal(0.2, region.GetProperty("maxWidth").GetDouble(), 1e-12);
    }

    [Fact]
    public void ParseErrorsBecomeUserErrors()
    {
        var path = Path.Combine(Path.GetTempPath(), $"certify-{Guid.NewGuid():N}.vnnlib");
        File.WriteAllText(path, "(declare-const X_0 Real)\n(assert (xor))");
        try
        {
            var e = Assert.Throws<CliException>(() => Run("spec", path));
            Assert.Contains(":2:10: unsupported operator 'xor'", e.Message);
        }
        finally { File.Delete(path); }
    }
}

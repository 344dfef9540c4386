using System.Diagnostics;
using System.Text.Json;
using Certify.Spec;
using Xunit.Abstractions;

namespace Certify.Tests.Spec;

/// <summary>The parser against every third-party VNNLIB file and against auto_LiRPA's reading of the oracle instances.</summary>
public sealed class VnnLibBenchTests(ITestOutputHelper output)
{
    /// <summary>Files that are deliberately malformed or unsupported (parser edge cases from Marabou's test resources).</summary>
    static readonly Dictionary<string, string> ExpectedFailures = new()
    {
        ["test_assert_operator_not_implemented.vnnlib"] = "unsupported operator 'xor'",
        ["test_command_not_implemented.vnnlib"] = "unsupported command 'declare-sore'",
        ["test_mul_var_var.vnnlib"] = "product of two variable terms is not linear",
    };

    [SkippableFact]
    public void EveryBenchmarkPropertyParses()
    {
        var bench = TestPaths.RequireBench();
        var files = Directory.EnumerateFiles(bench, "*.vnnlib", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(files);
        var sw = Stopwatch.StartNew();
        int parsed = 0, failedAsExpected = 0, regions = 0;
        foreach (var f in files)
        {
            if (ExpectedFailures.TryGetValue(Path.GetFileName(f), out var why))
            {
                var e = Assert.Throws<VnnLibException>(() => VnnLibParser.Parse(f));
                Assert.Contains(why, e.Message);
                failedAsExpected++;
                continue;
            }
            Specification spec;
            try { spec = VnnLibParser.Parse(f); }
            catch (VnnLibException e) { throw new Xunit.Sdk.XunitException($"{f}: {e.Message}"); }
            Assert.True(spec.InputSize > 0 && spec.OutputSize > 0, f);
            Assert.NotEmpty(spec.Regions);
            foreach (var r in spec.Regions)
            {
                Assert.Equal(spec.InputSize, r.Lower.Length);
                for (int i = 0; i < spec.InputSize; i++)
                    Assert.True(double.IsFinite(r.Lower[i]) && double.IsFinite(r.Upper[i]) && r.Lower[i] <= r.Upper[i], $"{f}: X_{i}");
                Assert.NotEmpty(r.Unsafe.Disjuncts);
                foreach (var (_, row) in r.Unsafe.Rows) Assert.Equal(spec.OutputSize, row.C.Length);
            }
            regions += spec.Regions.Count;
            parsed++;
        }
        output.WriteLine($"{parsed} properties parsed ({regions} regions), {failedAsExpected} rejected as expected, {sw.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(ExpectedFailures.Count, failedAsExpected);
    }

    [SkippableFact]
    public void RowsMatchAutoLirpaOnOracleInstances()
    {
        var oracle = TestPaths.RequireOracle();
        var shared = Path.GetDirectoryName(oracle)!;
        var jsons = Directory.GetFiles(oracle, "*.json");
        Assert.NotEmpty(jsons);
        foreach (var path in jsons)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            var spec = VnnLibParser.Parse(Path.Combine(shared, root.GetProperty("vnnlib").GetString()!));
            Assert.Single(spec.Regions);
            var ours = spec.Regions[0].Unsafe.Rows.ToList();
            foreach (var method in root.GetProperty("methods").EnumerateObject())
            {
                var rows = method.Value.GetProperty("rows").EnumerateArray().ToList();
                Assert.Equal(rows.Count, ours.Count);
                for (int k = 0; k < rows.Count; k++)
                {
                    Assert.Equal(rows[k].GetProperty("clause").GetInt32(), ours[k].Clause);
                    var c = rows[k].GetProperty("c").EnumerateArray().Select(v => v.GetDouble()).ToArray();
                    Assert.Equal(c.Length, ours[k].Row.C.Length);
                    for (int i = 0; i < c.Length; i++) Assert.Equal(c[i], ours[k].Row.C[i], 1e-12);
                    Assert.Equal(rows[k].GetProperty("d").GetDouble(), ours[k].Row.D, 1e-12);
                }
            }
            // Semantics: the network's output at the box centre is a counterexample exactly when some clause holds there.
            var y = root.GetProperty("center_output").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            if (y.Length == spec.OutputSize)
            {
                var r = spec.Regions[0];
                var x = r.Lower.Zip(r.Upper, (l, u) => (l + u) / 2).ToArray();
                bool expected = ours.GroupBy(t => t.Clause).Any(g => g.All(t => t.Row.Evaluate(y) <= t.Row.D));
                Assert.Equal(expected, spec.IsCounterexample(x, y));
            }
            output.WriteLine($"{Path.GetFileName(path)}: {ours.Count} rows match");
        }
    }
}

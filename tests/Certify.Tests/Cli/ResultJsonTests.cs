using System.Text.Json;
using Certify.Spec;
using Certify.Verification;
using Json.Schema;

namespace Certify.Tests.Cli;

/// <summary>
/// <c>--json</c> of <c>verify</c>, <c>run</c> and <c>bounds</c>, run as child processes with piped output: the document
/// is valid against <c>specs/result.schema.json</c>, and what it says is true — a sat counterexample lies in the
/// property's box and violates it when ONNX Runtime re-runs it (checked here, independently of Certify), bounds
/// enclose ONNX Runtime's outputs at sampled inputs, and run's counts add up to its rows.
/// </summary>
public sealed class ResultJsonTests
{
    static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "specs", "result.schema.json"))));

    /// <summary>Parses <paramref name="stdout"/> as exactly one JSON document and validates it; returns its root.</summary>
    internal static JsonElement Valid(string stdout)
    {
        using var doc = JsonDocument.Parse(stdout);
        var result = Schema.Value.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, "not valid against specs/result.schema.json: " +
            string.Join("; ", (result.Details ?? new List<EvaluationResults>()).Where(d => d.Errors is { Count: > 0 })
                .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}")).Take(10)));
        return doc.RootElement.Clone();
    }

    static bool IsValid(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return Schema.Value.Evaluate(doc.RootElement).IsValid;
    }

    static double[] Numbers(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    [Fact]
    public void Verify_json_for_the_proven_example_is_a_valid_unsat_document_and_no_attack_overrides_the_config()
    {
        var dir = CliFiles.TempDir();
        try
        {
            var config = CliFiles.Write(dir, "budget.yaml", CliFiles.WorkBudgetYaml);
            var r = CliProcess.Run(new[] { "verify", CliFiles.IbpModel, CliFiles.Property, "--config", config, "--no-attack", "--json" });
            Assert.True(r.Code == 0, $"exit {r.Code}: {r.Stderr}");
            var doc = Valid(r.Stdout);
            Assert.Equal("verify", doc.GetProperty("command").GetString());
            Assert.Equal("unsat", doc.GetProperty("verdict").GetString());
            Assert.False(string.IsNullOrEmpty(doc.GetProperty("reason").GetString()));
            Assert.False(doc.TryGetProperty("counterexample", out _));
            // The file turns the attack on; the flag typed on the command line wins: no attack stage ran.
            var steps = doc.GetProperty("steps").EnumerateArray().Select(s => s.GetString()!).ToList();
            Assert.NotEmpty(steps);
            Assert.DoesNotContain(steps, s => s.StartsWith("attack", StringComparison.Ordinal));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Verify_json_for_the_violable_example_carries_a_counterexample_that_onnx_runtime_confirms()
    {
        var dir = CliFiles.TempDir();
        try
        {
            var config = CliFiles.Write(dir, "budget.yaml", CliFiles.WorkBudgetYaml);
            var r = CliProcess.Run(new[] { "verify", CliFiles.StandardModel, CliFiles.Property, "--config", config, "--json" });
            Assert.True(r.Code == 0, $"exit {r.Code}: {r.Stderr}");
            var doc = Valid(r.Stdout);
            Assert.Equal("sat", doc.GetProperty("verdict").GetString());
            var cex = doc.GetProperty("counterexample");
            var x = Numbers(cex.GetProperty("x"));
            var spec = VnnLibParser.Parse(CliFiles.Property);
            int region = cex.GetProperty("region").GetInt32(), disjunct = cex.GetProperty("disjunct").GetInt32();
            using var ort = new OnnxReferenceModel(CliFiles.StandardModel);
            var y = ort.Run(x);
            Assert.True(spec.Regions[region].Contains(x), "the counterexample is outside the property's box");
            Assert.True(spec.Regions[region].Unsafe.Disjuncts[disjunct].HoldsAt(y), "ONNX Runtime's output at the counterexample is safe");
            Assert.Equal(y, Numbers(cex.GetProperty("y")), new ToleranceComparer(1e-6));
            // The stdout is the document only: no progress or log line mixed into it (it parsed), and no ANSI code.
            Assert.DoesNotContain('\u001b', r.Stdout + r.Stderr);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Run_json_has_one_valid_row_per_instance_with_the_counterexample_and_counts_that_add_up()
    {
        var dir = CliFiles.TempDir();
        try
        {
            var config = CliFiles.Write(dir, "budget.yaml", CliFiles.WorkBudgetYaml);
            var list = CliFiles.Write(dir, "list.csv", "onnx,vnnlib,timeout,label,family\n" +
                $"{CliFiles.IbpModel},{CliFiles.Property},600,unsat,ibp\n{CliFiles.StandardModel},{CliFiles.Property},600,sat,standard\n");
            var r = CliProcess.Run(new[] { "run", list, "--config", config, "--json" });
            Assert.True(r.Code == 0, $"exit {r.Code}: {r.Stderr}");
            var doc = Valid(r.Stdout);
            Assert.Equal(0, doc.GetProperty("exit_code").GetInt32());
            var rows = doc.GetProperty("instances").EnumerateArray().ToList();
            Assert.Equal(new[] { "ibp", "standard" }, rows.Select(x => x.GetProperty("family").GetString()));
            Assert.Equal(new[] { "unsat", "sat" }, rows.Select(x => x.GetProperty("verdict").GetString()));
            Assert.All(rows, x => Assert.True(x.GetProperty("correct").GetBoolean()));
            var x1 = Numbers(rows[1].GetProperty("counterexample").GetProperty("x"));
            using var ort = new OnnxReferenceModel(CliFiles.StandardModel);
            Assert.True(VnnLibParser.Parse(CliFiles.Property).IsCounterexample(x1, ort.Run(x1)));
            var total = doc.GetProperty("total");
            Assert.Equal(2, total.GetProperty("instances").GetInt32());
            Assert.Equal(1, total.GetProperty("unsat").GetInt32());
            Assert.Equal(1, total.GetProperty("sat").GetInt32());
            Assert.Equal(2, total.GetProperty("correct").GetInt32());
            Assert.Equal(0, total.GetProperty("wrong").GetInt32());
            Assert.Equal(2, doc.GetProperty("families").GetArrayLength());
            // The summary table went to standard error, in full and without ANSI codes.
            Assert.Contains("family", r.Stderr);
            Assert.DoesNotContain('\u001b', r.Stdout + r.Stderr);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Bounds_json_is_valid_and_its_bounds_enclose_onnx_runtime_at_sampled_inputs()
    {
        var r = CliProcess.Run(new[] { "bounds", CliFiles.IbpModel, CliFiles.Property, "--method", "crown", "--json" });
        Assert.True(r.Code == 0, $"exit {r.Code}: {r.Stderr}");
        var doc = Valid(r.Stdout);
        Assert.Equal("crown", doc.GetProperty("method").GetString());
        var lower = Numbers(doc.GetProperty("outputs").GetProperty("lower"));
        var upper = Numbers(doc.GetProperty("outputs").GetProperty("upper"));
        var spec = VnnLibParser.Parse(CliFiles.Property);
        Assert.Equal(spec.OutputSize, lower.Length);
        var rows = doc.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(spec.Regions.Sum(g => g.Unsafe.Rows.Count()), rows.Count);
        var box = spec.Regions[0];
        var random = new Random(15);
        using var ort = new OnnxReferenceModel(CliFiles.IbpModel);
        for (int s = 0; s < 20; s++)
        {
            var x = box.Lower.Select((lo, i) => lo + random.NextDouble() * (box.Upper[i] - lo)).ToArray();
            var y = ort.Run(x);
            for (int i = 0; i < y.Length; i++)
                Assert.InRange(y[i], lower[i] - 1e-4, upper[i] + 1e-4);
            foreach (var row in rows)
            {
                var c = Numbers(row.GetProperty("c"));
                double cy = c.Select((ci, i) => ci * y[i]).Sum();
                Assert.InRange(cy, row.GetProperty("lower").GetDouble() - 1e-4, row.GetProperty("upper").GetDouble() + 1e-4);
            }
        }
    }

    [Fact]
    public void The_schema_refuses_a_sat_verdict_without_counterexample_and_an_unknown_verdict_word()
    {
        const string ok = """{"format":"certify-result","version":1,"command":"verify","time":1,"model":"m","property":"p","verdict":"unsat","reason":"r","steps":[]}""";
        Assert.True(IsValid(ok));
        Assert.False(IsValid(ok.Replace("\"unsat\"", "\"sat\"")));
        Assert.False(IsValid(ok.Replace("\"unsat\"", "\"holds\"")));
        Assert.False(IsValid(ok.Replace("\"reason\":\"r\",", "")));
        Assert.False(IsValid(ok.Replace("\"command\":\"verify\"", "\"command\":\"bounds\"")));
    }

    sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance * (1 + Math.Abs(a));
        public int GetHashCode(double v) => 0;
    }
}

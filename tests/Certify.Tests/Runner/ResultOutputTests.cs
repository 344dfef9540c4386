using System.Globalization;
using Certify.Cli;
using Certify.Spec;
using Certify.Tests.Cli;
using Certify.Verification.Benchmarks;

namespace Certify.Tests.Runner;

/// <summary>
/// <c>run --out-dir</c> and <c>--vnncomp-csv</c>, and <c>check-result</c>, on the tiny ground-truth network
/// <c>y0 = relu(x0 + x1)</c>, <c>y1 = relu(x0 − x1)</c> over <c>[0,1]²</c> (known by hand: the property <c>Y_0 ≥ 1.5</c> is
/// violated near (1, 1), <c>Y_0 ≥ 2.5</c> never), so every accepted or rejected file is judged against the truth.
/// </summary>
[Collection(nameof(SequentialRandomCollection))]
public sealed class ResultOutputTests : IDisposable
{
    readonly string _dir = CliFiles.TempDir();
    readonly string _model, _sat, _unsat;

    public ResultOutputTests() => (_model, _sat, _unsat) = CliFiles.Tiny(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static (int Code, string Stdout, string Stderr) Certify(params string[] args) => CommandHarness.Certify(args);

    /// <summary>The network's true outputs at <paramref name="x"/>.</summary>
    static double[] Truth(double[] x) => [Math.Max(0, x[0] + x[1]), Math.Max(0, x[0] - x[1])];

    string Result(string name, string text) => CliFiles.Write(_dir, name, text);

    static string Sat(double[] x, double[] y) =>
        "sat\n(" + string.Join("\n ", x.Select((v, i) => $"(X_{i} {v.ToString("R", CultureInfo.InvariantCulture)})")
                                    .Concat(y.Select((v, i) => $"(Y_{i} {v.ToString("R", CultureInfo.InvariantCulture)})"))) + ")\n";

    [Fact]
    public void Run_out_dir_writes_a_sat_file_that_check_result_accepts_and_the_vnncomp_csv_layout()
    {
        var list = CliFiles.Write(_dir, "instances.csv", "tiny.onnx,tiny-sat.vnnlib,60\ntiny.onnx,tiny-unsat.vnnlib,60\n");
        var config = CliFiles.Write(_dir, "budget.yaml", CliFiles.WorkBudgetYaml);
        var outDir = Path.Combine(_dir, "results");
        var csv = Path.Combine(_dir, "vnncomp.csv");
        var run = Certify("run", list, "--config", config, "--out-dir", outDir, "--vnncomp-csv", csv);
        Assert.True(run.Code == ExitCodes.Ok, run.Stderr);

        var family = Path.GetFileName(_dir);
        var satFile = Path.Combine(outDir, $"{family}__tiny__tiny-sat.txt");
        var unsatFile = Path.Combine(outDir, $"{family}__tiny__tiny-unsat.txt");
        Assert.Equal(["sat", "unsat"], new[] { satFile, unsatFile }.Select(f => File.ReadLines(f).First()));
        // The counterexample is a real one by the hand-known network, and check-result agrees.
        var written = ResultFile.Read(satFile);
        Assert.InRange(written.X![0], 0, 1);
        Assert.InRange(written.X[1], 0, 1);
        Assert.True(Truth(written.X)[0] >= 1.5);
        var check = Certify("check-result", _model, _sat, satFile);
        Assert.True(check.Code == ExitCodes.Ok, check.Stdout + check.Stderr);
        Assert.StartsWith("accepted: sat", check.Stdout);

        // results.csv: benchmark,onnx,vnnlib,prepare_time,result,run_time, no header, one row per instance in list order.
        var rows = CsvTable.Read(csv, null).Rows;
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(VnncompResults.Columns.Count, r.Count));
        Assert.Equal([family, "tiny.onnx", "tiny-sat.vnnlib", "0", "sat"], rows[0].Fields.Take(5));
        Assert.Equal([family, "tiny.onnx", "tiny-unsat.vnnlib", "0", "unsat"], rows[1].Fields.Take(5));
        Assert.All(rows, r => Assert.True(double.Parse(r[5], CultureInfo.InvariantCulture) >= 0));
    }

    [Fact]
    public void Out_dir_that_cannot_be_a_folder_is_refused_before_any_instance_runs()
    {
        var list = CliFiles.Write(_dir, "instances.csv", "tiny.onnx,tiny-sat.vnnlib,60\n");
        var file = CliFiles.Write(_dir, "taken", "");
        var run = Certify("run", list, "--out-dir", file, "--out", Path.Combine(_dir, "r.csv"));
        Assert.Equal(ExitCodes.BadInput, run.Code);
        Assert.Contains("--out-dir", run.Stderr);
        Assert.False(File.Exists(Path.Combine(_dir, "r.csv")), "a row was written: the run started before refusing --out-dir");
    }

    [Fact]
    public void Names_are_deterministic_and_distinct_for_instances_sharing_family_network_and_property()
    {
        var a = new Instance("fam ily", "/a/net.onnx", "/a/p.vnnlib", 1, null) { OnnxEntry = "a/net.onnx", VnnlibEntry = "a/p.vnnlib" };
        var b = new Instance("fam ily", "/b/net.onnx", "/b/p.vnnlib", 1, null) { OnnxEntry = "b/net.onnx", VnnlibEntry = "b/p.vnnlib" };
        var first = new ResultFolder(_dir, [a, b]);
        var again = new ResultFolder(_dir, [a, b]);
        Assert.Equal(Path.Combine(_dir, "fam_ily__net__p.txt"), first.PathOf(a));
        Assert.NotEqual(first.PathOf(a), first.PathOf(b));
        Assert.Equal(first.PathOf(b), again.PathOf(b));
    }

    [Fact]
    public void Check_result_accepts_a_true_counterexample_and_holds_as_unsat()
    {
        var x = new[] { 1.0, 0.9 };
        Assert.Equal(ExitCodes.Ok, Certify("check-result", _model, _sat, Result("good.txt", Sat(x, Truth(x)))).Code);
        Assert.Equal(ExitCodes.Ok, Certify("check-result", _model, _sat, Result("no-y.txt", "violated\n((X_0 1) (X_1 1))\n")).Code);
        var holds = Certify("check-result", _model, _unsat, Result("holds.txt", "holds\n"));
        Assert.Equal(ExitCodes.Ok, holds.Code);
        Assert.StartsWith("accepted: unsat", holds.Stdout);
    }

    [Fact]
    public void Check_result_rejects_a_counterexample_outside_the_box_naming_its_line()
    {
        var x = new[] { 1.0, 1.5 };   // X_1 past the upper bound 1 (the network would violate there: only the box rejects it)
        var o = Certify("check-result", _model, _sat, Result("outside.txt", Sat(x, Truth(x))));
        Assert.Equal(ExitCodes.Failure, o.Code);
        Assert.StartsWith($"rejected: {Path.Combine(_dir, "outside.txt")}:3: X_1 = 1.5 lies outside the input box [0, 1]", o.Stdout);
    }

    [Fact]
    public void Check_result_rejects_a_point_that_does_not_violate_the_property()
    {
        var x = new[] { 0.25, 0.25 };   // y0 = 0.5 < 1.5: inside the box, outputs right, no violation
        Assert.True(Truth(x)[0] < 1.5);
        var o = Certify("check-result", _model, _sat, Result("safe.txt", Sat(x, Truth(x))));
        Assert.Equal(ExitCodes.Failure, o.Code);
        Assert.Contains("does not violate the property", o.Stdout);
    }

    [Fact]
    public void Check_result_rejects_outputs_that_are_not_the_networks()
    {
        var x = new[] { 1.0, 1.0 };
        var y = Truth(x);
        y[1] += 0.5;   // the point violates, but the tool did not compute this network's Y_1
        var o = Certify("check-result", _model, _sat, Result("wrong-y.txt", Sat(x, y)));
        Assert.Equal(ExitCodes.Failure, o.Code);
        Assert.StartsWith($"rejected: {Path.Combine(_dir, "wrong-y.txt")}:5: Y_1 = 0.5 but ONNX Runtime", o.Stdout);
    }

    [Theory]
    [InlineData("maybe\n", 1)]
    [InlineData("sat\n((X_0 1)\n (X_1 zero))\n", 3)]
    public void Check_result_on_a_malformed_file_is_bad_input_naming_file_and_line(string text, int line)
    {
        var path = Result("bad.txt", text);
        var o = Certify("check-result", _model, _sat, path);
        Assert.Equal(ExitCodes.BadInput, o.Code);
        var lines = o.Stderr.Trim().Split('\n');
        Assert.Single(lines);
        Assert.StartsWith($"certify: {path}:{line}:", lines[0]);
    }
}

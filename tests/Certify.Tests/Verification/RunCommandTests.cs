using Certify.Cli;
using Certify.Cli.Commands;

namespace Certify.Tests.Verification;

/// <summary><c>certify run</c>: results are written row by row, and <c>--resume</c> runs only what the file lacks.</summary>
public sealed class RunCommandTests
{
    static int Run(params string[] args) => CommandHarness.Run<RunCommand>(args);

    [SkippableFact]
    public void Resume_keeps_the_rows_already_written_and_runs_only_the_missing_instances()
    {
        var list = Path.Combine(TestPaths.RequireBench(), "sets", "labelled.csv");
        var outPath = Path.Combine(Path.GetTempPath(), $"certify-run-{Guid.NewGuid():N}.csv");
        try
        {
            Assert.Equal(0, Run("run", list, "--family", "tllverifybench", "--limit", "2", "--max-timeout", "20", "--out", outPath));
            var first = File.ReadAllLines(outPath);
            Assert.Equal(3, first.Length);                                           // header + 2 rows, written as they finished
            // A planted row stands for an instance measured before an interruption: resume must keep it, not re-run it.
            var planted = first[2].Split(',');
            planted[4] = "123.000";
            first[2] = string.Join(',', planted);
            File.WriteAllLines(outPath, first);
            Assert.Equal(0, Run("run", list, "--family", "tllverifybench", "--limit", "3", "--max-timeout", "20", "--out", outPath, "--resume"));
            var second = File.ReadAllLines(outPath);
            Assert.Equal(4, second.Length);
            Assert.Equal(first, second.Take(3));
            var row = second[3].Split(',');
            Assert.Equal("tllverifybench", row[0]);
            // The new instance gets its label; its answer is any verdict that does not contradict it (whether it is found
            // within 20 s depends on the machine's speed, which a test must not).
            Assert.Contains(row[5], new[] { "sat", "unsat" });
            Assert.Contains(row[3], new[] { row[5], "unknown", "timeout" });
        }
        finally { File.Delete(outPath); }
    }

    [SkippableFact]
    public void Isolated_runs_answer_in_child_processes_and_a_failing_child_is_an_error_not_a_crash()
    {
        var bench = TestPaths.RequireBench();
        var dir = Path.Combine(Path.GetTempPath(), $"certify-isolate-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            // A real labelled instance, and a "network" of garbage bytes whose child process must fail without ending the run.
            File.WriteAllBytes(Path.Combine(dir, "broken.onnx"), new byte[] { 1, 2, 3, 250, 251, 7 });
            var tll = Path.Combine(bench, "tllverifybench");
            File.WriteAllLines(Path.Combine(dir, "instances.csv"), new[]
            {
                $"{Path.Combine(tll, "onnx", "tllBench_n=2_N=M=8_m=1_instance_0_0.onnx")},{Path.Combine(tll, "vnnlib", "property_N=8_0.vnnlib")},20",
                $"{Path.Combine(dir, "broken.onnx")},{Path.Combine(tll, "vnnlib", "property_N=8_0.vnnlib")},20",
            });
            var outPath = Path.Combine(dir, "results.csv");
            Run("run", Path.Combine(dir, "instances.csv"), "--root", dir, "--isolate", "--out", outPath);
            var rows = File.ReadAllLines(outPath).Skip(1).Select(l => l.Split(',')).ToList();
            Assert.Equal(2, rows.Count);
            var published = File.ReadLines(Path.Combine(bench, "sets", "labelled.csv")).Select(l => l.Split(','))
                .Single(p => p.Length > 4 && p[1] == "tllverifybench/onnx/tllBench_n=2_N=M=8_m=1_instance_0_0.onnx" && p[2] == "tllverifybench/vnnlib/property_N=8_0.vnnlib")[4];
            Assert.Contains(rows[0][3], new[] { published, "unknown", "timeout" });   // a verdict from the child, never an error
            Assert.Equal("error", rows[1][3]);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>A folder with an instance list of networks that cannot be read (garbage bytes): each row fails at once, without any real verification.</summary>
    static (string Dir, string List) BrokenList(int count, string timeout = "20", string? header = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"certify-run-broken-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "prop.vnnlib"), "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (>= X_0 0))\n(assert (<= X_0 1))\n(assert (>= Y_0 0))\n");
        var rows = new List<string>();
        if (header is not null) rows.Add(header);
        for (int i = 0; i < count; i++)
        {
            File.WriteAllBytes(Path.Combine(dir, $"broken{i}.onnx"), new byte[] { 1, 2, 3, 250, 251, 7 });
            rows.Add($"broken{i}.onnx,prop.vnnlib,{timeout}");
        }
        var list = Path.Combine(dir, "instances.csv");
        File.WriteAllLines(list, rows);
        return (dir, list);
    }

    [Fact]
    public void A_run_whose_every_instance_is_an_error_exits_1_not_0()
    {
        var (dir, list) = BrokenList(3);
        try
        {
            var outPath = Path.Combine(dir, "results.csv");
            Assert.Equal(1, Run("run", list, "--out", outPath));           // the old code exited 0 with three error rows
            Assert.All(File.ReadAllLines(outPath).Skip(1), l => Assert.Equal("error", l.Split(',')[3]));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Theory]
    [InlineData("0", "timeout 0: expected a number of seconds")]
    [InlineData("-5", "timeout -5: expected a number of seconds")]
    [InlineData("abc", "timeout 'abc' is not a number of seconds")]
    [InlineData("", "no timeout")]
    public void A_bad_timeout_in_the_list_is_refused_with_file_and_line(string timeout, string message)
    {
        var (dir, list) = BrokenList(2, timeout);
        try
        {
            var e = Assert.Throws<CliException>(() => Run("run", list));
            Assert.Contains($"{list}:1: {message}", e.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_list_naming_a_missing_network_is_refused_before_any_instance_runs()
    {
        var (dir, list) = BrokenList(2);
        try
        {
            File.AppendAllLines(list, new[] { "nowhere/model.onnx,prop.vnnlib,20" });
            var outPath = Path.Combine(dir, "results.csv");
            var e = Assert.Throws<CliException>(() => Run("run", list, "--out", outPath));
            Assert.Contains($"{list}:3: {Path.Combine(dir, "nowhere", "model.onnx")}: no such file", e.Message);
            Assert.False(File.Exists(outPath));                                  // refused before the results file was started
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_second_writer_of_the_same_out_file_is_refused_and_the_file_is_left_alone()
    {
        var (dir, list) = BrokenList(2);
        try
        {
            var outPath = Path.Combine(dir, "results.csv");
            // Another run holding the file open for writing, as the old code held it (a StreamWriter): two such runs both
            // appended, lost a row and glued two rows into one line, and both exited 0.
            using (var other = new StreamWriter(outPath))
            {
                other.Write("family,network,property,result,seconds,label\nx,y,z,unsat,1.000,unsat\n");
                other.Flush();
                var e = Assert.Throws<CliException>(() => Run("run", list, "--out", outPath));
                Assert.Contains("--out", e.Message);
            }
            Assert.Equal("family,network,property,result,seconds,label\nx,y,z,unsat,1.000,unsat\n", File.ReadAllText(outPath));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Resume_drops_a_truncated_last_line_and_runs_its_instance_again()
    {
        var (dir, list) = BrokenList(3);
        try
        {
            var outPath = Path.Combine(dir, "results.csv");
            var dirName = Path.GetFileName(dir);
            // What a run killed (kill -9) while writing its third line leaves: two complete rows and half a line.
            File.WriteAllText(outPath, "family,network,property,result,seconds,label\n" +
                                       $"{dirName},broken0,prop,error,0.100,\n{dirName},broken1,prop,error,0.200,\n{dirName},broken2,pr");
            Assert.Equal(1, Run("run", list, "--out", outPath, "--resume"));   // 1: every row is an error
            var lines = File.ReadAllLines(outPath);
            Assert.Equal(4, lines.Length);
            Assert.Equal($"{dirName},broken0,prop,error,0.100,", lines[1]);      // kept, not re-run
            Assert.Equal($"{dirName},broken1,prop,error,0.200,", lines[2]);
            Assert.StartsWith($"{dirName},broken2,prop,error,", lines[3]);        // the half line is gone, its instance ran again
            Assert.Equal(3, lines.Skip(1).Select(l => l.Split(',')[1]).Distinct().Count());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [SkippableFact]
    public void A_results_path_that_fills_up_is_a_one_line_error()
    {
        Skip.IfNot(File.Exists("/dev/full"), "needs /dev/full (Linux)");
        var (dir, list) = BrokenList(1);
        try
        {
            var e = Assert.Throws<CliException>(() => Run("run", list, "--out", "/dev/full"));
            Assert.Contains("--out /dev/full: writing failed", e.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Theory]
    [InlineData("--timeout-scale", "0")]
    [InlineData("--timeout-scale", "-1")]
    [InlineData("--max-timeout", "0")]
    [InlineData("--max-timeout", "nan")]
    [InlineData("--limit", "0")]
    [InlineData("--method", "fast")]
    public void Bad_numbers_and_names_in_options_are_refused_before_anything_runs(string option, string value)
    {
        Assert.Contains(CommandHarness.ParseErrors<RunCommand>("run", "list.csv", option, value), e => e.StartsWith(option));
    }
}

using System.CommandLine;
using Certify.Cli.Commands;

namespace Certify.Tests.Verification;

/// <summary><c>certify run</c>: results are written row by row, and <c>--resume</c> runs only what the file lacks.</summary>
public sealed class RunCommandTests
{
    static int Run(params string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(new RunCommand().Build());
        return root.Parse(args).Invoke(new InvocationConfiguration { Output = new StringWriter(), EnableDefaultExceptionHandler = false });
    }

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
            Assert.Equal(row[5], row[3]);                                            // the new instance gets its label
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
            Assert.Equal(published, rows[0][3]);
            Assert.Equal("error", rows[1][3]);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

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
}

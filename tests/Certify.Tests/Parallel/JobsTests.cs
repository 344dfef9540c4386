using Certify.Cli;
using Certify.Cli.Commands;
using Certify.Cli.Parallel;

namespace Certify.Tests.Parallel;

/// <summary><c>run --jobs N</c>: worker processes, each with its share of the threads, and the rows of one run.</summary>
public sealed class JobsTests : IDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), $"certify-jobs-{Guid.NewGuid():N}");
    public void Dispose() { if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true); }

    /// <summary>
    /// Two worker processes answer a small list exactly as one process does: the same rows in the same order (only the
    /// times differ), each answer its hand-made label, and exit 0, and the same VNN-COMP results.csv. With --resume, a file that already holds some rows
    /// gets the missing ones from the workers and none twice.
    /// </summary>
    [Fact]
    public void Two_jobs_write_the_rows_of_one_job()
    {
        var list = TinyInstances.Write(_dir, scales: 3);
        var one = Path.Combine(_dir, "jobs1.csv");
        var two = Path.Combine(_dir, "jobs2.csv");
        var (vnn1, vnn2) = (Path.Combine(_dir, "vnn1.csv"), Path.Combine(_dir, "vnn2.csv"));
        Assert.Equal(0, CommandHarness.Run<RunCommand>("run", list, "--jobs", "1", "--out", one, "--vnncomp-csv", vnn1));
        var (code, _, stderr) = CommandHarness.Certify(["run", list, "--jobs", "2", "--out", two, "--vnncomp-csv", vnn2]);
        Assert.True(code == 0, stderr);
        Assert.Equal(TinyInstances.Verdicts(one), TinyInstances.Verdicts(two));
        // VNN-COMP's results.csv is written by the parent from the merged rows (the workers would share one file).
        static string[] NoTimes(string path) => File.ReadAllLines(path).Select(l => string.Join(',', l.Split(',').Take(5))).ToArray();
        Assert.Equal(6, NoTimes(vnn1).Length);
        Assert.Equal(NoTimes(vnn1), NoTimes(vnn2));
        Assert.Equal(7, File.ReadAllLines(two).Length);
        Assert.All(TinyInstances.Verdicts(two).Skip(1), r => Assert.Equal(r.Split(',')[4], r.Split(',')[3]));

        // Keep the header and two rows, as an interrupted run leaves them; --resume with two jobs completes the file.
        var partial = File.ReadAllLines(two).Take(3).ToArray();
        File.WriteAllLines(two, partial);
        (code, _, stderr) = CommandHarness.Certify(["run", list, "--jobs", "2", "--out", two, "--resume"]);
        Assert.True(code == 0, stderr);
        var resumed = File.ReadAllLines(two);
        Assert.Equal(partial, resumed.Take(3));
        Assert.Equal(TinyInstances.Verdicts(one).Order(), TinyInstances.Verdicts(two).Order());
    }

    /// <summary>
    /// A worker gets every option typed on the parent's command line, as typed (whatever its form), except those the parent
    /// applies itself (the list's selection, --out, --resume, --jobs, --json): a setting lost on the way to the workers
    /// would make --jobs N answer other questions than --jobs 1.
    /// </summary>
    [Fact]
    public void Workers_get_every_typed_option_but_the_parents_own()
    {
        var run = new RunCommand().Build();
        var parse = run.Parse(["list.csv", "--jobs", "2", "--max-timeout", "5", "--family", "f", "--out", "o.csv", "--config=c.yaml",
                               "--isolate", "--resume", "--shard", "1/3", "--limit", "4", "--root", "r", "--method", "crown", "--timeout-scale", "0.5"]);
        Assert.Empty(parse.Errors);
        Assert.Equal(["--max-timeout", "5", "--config", "c.yaml", "--isolate", "--method", "crown", "--timeout-scale", "0.5"], ParallelRun.Forwarded(parse));
        Assert.Empty(ParallelRun.Forwarded(run.Parse(["list.csv", "--jobs", "2"])));   // defaults are not typed options
    }

    [Fact]
    public void Thread_budget_never_gives_more_threads_than_cores()
    {
        for (int cores = 1; cores <= 64; cores++)
            for (int workers = 1; workers <= cores; workers++)
            {
                int t = ThreadBudget.PerWorker(workers, cores);
                Assert.True(t >= 1 && t * workers <= cores, $"{workers} workers on {cores} cores: {t} threads each");
                Assert.True((t + 1) * workers > cores, $"{workers} workers on {cores} cores: {t} threads each leaves a core idle per worker");
            }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-2")]
    [InlineData("x")]
    public void Bad_job_counts_are_refused(string jobs)
    {
        var (code, _, stderr) = CommandHarness.Certify(["run", "list.csv", "--jobs", jobs]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("--jobs", stderr);
    }

    /// <summary>
    /// <c>--jobs 2 --json</c> prints the document one process prints: the same instances in the list's order with the same
    /// verdicts, labels and per-family counts (times aside), and a sat row keeps the counterexample its worker re-ran.
    /// </summary>
    [Fact]
    public void Two_jobs_print_the_json_document_of_one_job()
    {
        var list = TinyInstances.Write(_dir, scales: 2);
        var (code1, out1, err1) = CommandHarness.Certify(["run", list, "--jobs", "1", "--json"]);
        Assert.True(code1 == 0, err1);
        var (code2, out2, err2) = CommandHarness.Certify(["run", list, "--jobs", "2", "--json"]);
        Assert.True(code2 == 0, err2);
        Certify.Tests.Cli.ResultJsonTests.Valid(out2);   // the joined document still follows specs/result.schema.json
        var one = System.Text.Json.Nodes.JsonNode.Parse(out1)!;
        var two = System.Text.Json.Nodes.JsonNode.Parse(out2)!;
        static string[] Rows(System.Text.Json.Nodes.JsonNode doc) => doc["instances"]!.AsArray()
            .Select(i => $"{i!["family"]}|{i["network"]}|{i["property"]}|{i["verdict"]}|{i["label"]}|{i["counterexample"]?["x"]?.ToJsonString()}").ToArray();
        Assert.Equal(4, Rows(one).Length);
        Assert.Equal(Rows(one), Rows(two));
        Assert.Contains(Rows(two), r => r.Contains("|sat|") && r.EndsWith("]"));   // a sat row carries its counterexample
        foreach (var key in new[] { "instances", "unsat", "sat", "correct", "wrong", "labelled" })
            Assert.Equal(one["total"]![key]!.GetValue<int>(), two["total"]![key]!.GetValue<int>());
        Assert.Equal(0, two["total"]!["wrong"]!.GetValue<int>());
        Assert.Equal(0, two["exit_code"]!.GetValue<int>());
    }
}

using System.Diagnostics;
using Certify.Cli.Commands;

namespace Certify.Tests.Parallel;

/// <summary>
/// The Slurm recipe (<c>benchmarks/cluster/slurm/</c>) on a real, single-node Slurm started for the test by
/// <c>local-cluster.sh</c> (Debian's <c>slurm-wlm</c> and <c>munge</c>, installed with apt-get when missing): a 2-task
/// job array runs the shards of a small list and a dependent job merges them; the merged file must hold the rows a local
/// <c>run</c> of the list writes, in its order. Skipped, with the reason, where no cluster can be set up (not Linux, not
/// root, no apt-get, a daemon that does not start).
/// <para>Slow tier (trait <c>Tier=slow</c>), but in the default suite: about 20 s once Slurm is installed (the install,
/// on first use, takes a minute or two more).</para>
/// </summary>
[Trait("Tier", "slow")]
public sealed class SlurmArrayTests
{
    static readonly string Recipes = Path.Combine(TestPaths.RepoRoot, "benchmarks", "cluster", "slurm");

    static (int Code, string Stdout, string Stderr) Bash(string script, IReadOnlyDictionary<string, string> env, TimeSpan limit, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in env) start.Environment[k] = v;
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(limit))
        {
            p.Kill(entireProcessTree: true);
            return (-1, stdout.Result, stderr.Result + $"\n(killed after {limit.TotalSeconds} s)");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [SkippableFact]
    public void A_two_shard_job_array_and_its_merge_equal_a_local_run()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Slurm test: Linux only");
        var dir = Path.Combine(Path.GetTempPath(), $"certify-slurm-{Guid.NewGuid():N}");
        var cluster = Path.Combine(dir, "cluster");
        // Ports of its own, so that the test neither meets a cluster already on this machine nor one of another test run.
        var port = 20000 + Environment.ProcessId % 20000;
        var env = new Dictionary<string, string> { ["SLURMCTLD_PORT"] = port.ToString(), ["SLURMD_PORT"] = (port + 1).ToString() };
        var started = Bash(Path.Combine(Recipes, "local-cluster.sh"), env, TimeSpan.FromMinutes(10), "start", cluster);
        try
        {
            Skip.If(started.Code == 3, $"Slurm test: no single-node Slurm can be set up here: {started.Stderr.Trim().Split('\n').Last()}");
            Assert.True(started.Code == 0, $"local-cluster.sh start exited {started.Code}: {started.Stderr}");
            env["SLURM_CONF"] = Path.Combine(cluster, "slurm.conf");
            // The tasks run this build's certify, as a user's run the repository's ./certify.
            var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h
                : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
            env["CERTIFY"] = $"{host} {typeof(RunCommand).Assembly.Location}";

            var list = TinyInstances.Write(Path.Combine(dir, "instances"), scales: 2);
            var results = Path.Combine(dir, "results");
            var submitted = Bash(Path.Combine(Recipes, "submit.sh"), env, TimeSpan.FromMinutes(5), "--wait", list, results, "2");
            Assert.True(submitted.Code == 0, $"submit.sh exited {submitted.Code}: {submitted.Stderr}\n" +
                string.Join("\n", Directory.Exists(results) ? Directory.GetFiles(results, "slurm-*.out").Select(f => f + ":\n" + File.ReadAllText(f)) : []));
            Assert.True(File.Exists(Path.Combine(results, "shard-1-of-2.csv")) && File.Exists(Path.Combine(results, "shard-2-of-2.csv")));

            var local = Path.Combine(dir, "local.csv");
            Assert.Equal(0, CommandHarness.Run<RunCommand>("run", list, "--out", local));
            var merged = TinyInstances.Verdicts(Path.Combine(results, "results.csv"));
            Assert.Equal(TinyInstances.Verdicts(local), merged);
            Assert.Equal(5, merged.Count);
            Assert.All(merged.Skip(1), r => Assert.Equal(r.Split(',')[4], r.Split(',')[3]));   // and each answer is its label
        }
        finally
        {
            Bash(Path.Combine(Recipes, "local-cluster.sh"), env, TimeSpan.FromMinutes(1), "stop", cluster);
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}

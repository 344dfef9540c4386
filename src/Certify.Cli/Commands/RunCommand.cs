using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Certify.Verification;
using Certify.Verification.Benchmarks;
using Certify.Verification.Search;
using Spectre.Console;

namespace Certify.Cli.Commands;

/// <summary>
/// <c>certify run INSTANCES.csv [--root DIR] [--timeout-scale F] [--out results.csv]</c>: runs a VNN-COMP instance list and,
/// where labels are known, counts correct / wrong / unknown answers and flags every disagreement.
/// </summary>
public sealed class RunCommand : ICliCommand
{
    public Command Build()
    {
        var list = new Argument<string>("instances") { Description = "Instance list: VNN-COMP instances.csv (onnx,vnnlib,timeout) or a list with a header (e.g. sets/labelled.csv)." };
        var root = new Option<string?>("--root") { Description = "Folder the list's paths are relative to (default: the list's folder, or its parent for sets/)." };
        var scale = new Option<double>("--timeout-scale") { Description = "Multiply every instance's timeout by this.", DefaultValueFactory = _ => 1.0 };
        var maxTimeout = new Option<double?>("--max-timeout") { Description = "Cap every instance's timeout (seconds, after scaling)." };
        var output = new Option<string?>("--out") { Description = "Write family,network,property,result,seconds rows (plus label) to this CSV." };
        var family = new Option<string?>("--family") { Description = "Only instances of this family." };
        var limit = new Option<int?>("--limit") { Description = "Only the first N instances (after --family)." };
        var isolate = new Option<bool>("--isolate") { Description = "Run each instance in its own process (`certify verify`), as VNN-COMP's scripts do: a crash then costs one instance, not the run. Adds about a second per instance." };
        var resume = new Option<bool>("--resume") { Description = "Keep the rows already in the --out file and run only the instances missing from it (after a crash or an interruption)." };
        var method = new Option<string>("--method") { Description = "Bounds inside branch and bound: auto (crown for input splitting, beta-crown for ReLU splitting), crown, alpha-crown or beta-crown.", DefaultValueFactory = _ => "auto" };
        var cmd = new Command("run", "Run a list of verification instances, write the results, and compare them with published labels.")
            { list, root, scale, maxTimeout, output, family, limit, method, resume, isolate };
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(list)!;
            if (!File.Exists(path)) throw new CliException($"{path}: no such file");
            IReadOnlyList<Instance> instances;
            try { instances = InstanceList.Load(path, parse.GetValue(root)); }
            catch (FormatException e) { throw new CliException(e.Message); }
            if (parse.GetValue(family) is { } fam) instances = instances.Where(i => i.Family == fam).ToList();
            if (parse.GetValue(limit) is { } n) instances = instances.Take(n).ToList();
            var babMethod = VerifyCommand.ParseMethod(parse.GetValue(method)!);
            double s = parse.GetValue(scale);
            double? cap = parse.GetValue(maxTimeout);

            var rows = new List<(Instance Inst, string Result, double Seconds, string How)>();
            // Each row is appended and flushed as soon as it is known, so that a long run killed part-way (a crash, a
            // time limit) keeps what it measured and can go on with --resume.
            var outPath = parse.GetValue(output);
            if (parse.GetValue(resume))
            {
                if (outPath is null) throw new CliException("--resume needs --out (the results file to go on with)");
                var done = ReadDone(outPath);
                foreach (var inst in instances)
                    if (done.TryGetValue((inst.Family, inst.Network, inst.Property), out var d)) rows.Add((inst, d.Result, d.Seconds, "(from " + outPath + ")"));
                instances = instances.Where(i => !done.ContainsKey((i.Family, i.Network, i.Property))).ToList();
                AnsiConsole.MarkupLine($"resuming: {rows.Count} instance(s) already in {Markup.Escape(outPath)}, {instances.Count} to run");
            }
            using var writer = outPath is null ? null : new StreamWriter(outPath, append: parse.GetValue(resume) && File.Exists(outPath));
            if (writer is not null && writer.BaseStream.Position == 0) writer.WriteLine("family,network,property,result,seconds,label");
            writer?.Flush();
            ForegroundProgress.Create()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask($"{instances.Count} instances", maxValue: Math.Max(1, instances.Count));
                    var refresh = new ForegroundProgress.Refresher(ctx);
                    foreach (var inst in instances)
                    {
                        task.Description = $"{inst.Family}/{inst.Network} {inst.Property}";
                        refresh.Tick(force: true);
                        var timeout = inst.TimeoutSeconds * s;
                        if (cap is { } c) timeout = Math.Min(timeout, c);
                        var (result, seconds, how) = parse.GetValue(isolate)
                            ? RunIsolated(inst, timeout, parse.GetValue(method)!)
                            : RunOne(inst, timeout, babMethod);
                        rows.Add((inst, result, seconds, how));
                        writer?.WriteLine($"{inst.Family},{inst.Network},{inst.Property},{result},{seconds.ToString("F3", CultureInfo.InvariantCulture)},{inst.Label}");
                        writer?.Flush();
                        if (inst.Label is { } label && (result is "sat" or "unsat") && result != label)
                            AnsiConsole.MarkupLine($"[red bold]WRONG[/] {Markup.Escape(inst.Onnx)} {Markup.Escape(inst.Vnnlib)}: answered {result}, label {label}");
                        if (result == "error") // the reason would otherwise be lost: the results file holds only the word
                            AnsiConsole.MarkupLine($"[yellow]error[/] {Markup.Escape(inst.Onnx)} {Markup.Escape(inst.Vnnlib)}: {Markup.Escape(how)}");
                        task.Increment(1);
                    }
                    refresh.Tick(force: true);
                });

            return Summarise(rows.Select(r => (r.Inst, r.Result, r.Seconds)).ToList()) ? 0 : 1;
        });
        return cmd;
    }

    /// <summary>The word a run counts as: an answer that overshoots its limit (by more than 1 s) is a timeout, as in VNN-COMP.</summary>
    static string Counted(string word, double seconds, double timeoutSeconds) =>
        seconds > timeoutSeconds + 1 && word is "sat" or "unsat" ? "timeout" : word;

    /// <summary>Rows of an earlier results file, by (family, network, property); empty when the file does not exist.</summary>
    static Dictionary<(string, string, string), (string Result, double Seconds)> ReadDone(string path)
    {
        var done = new Dictionary<(string, string, string), (string, double)>();
        if (!File.Exists(path)) return done;
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var p = line.Split(',');
            if (p.Length < 5 || !double.TryParse(p[4], NumberStyles.Float, CultureInfo.InvariantCulture, out var sec))
                throw new CliException($"{path}: cannot resume from the line '{line}' (expected family,network,property,result,seconds,label)");
            done[(p[0], p[1], p[2])] = (p[3], sec);
        }
        return done;
    }

    /// <summary>Runs one instance in-process; any failure is reported as an error result, never as an answer.</summary>
    static (string Result, double Seconds, string How) RunOne(Instance inst, double timeoutSeconds, Certify.Bounds.BoundMethod? method)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var report = Verifier.Verify(inst.Onnx, inst.Vnnlib, new VerifierOptions
            {
                Timeout = TimeSpan.FromSeconds(timeoutSeconds),
                Bab = new BabOptions { Method = method },
            });
            return (Counted(report.Verdict.Word, clock.Elapsed.TotalSeconds, timeoutSeconds), clock.Elapsed.TotalSeconds, report.Verdict.ToString());
        }
        catch (Exception e)
        {
            return ("error", clock.Elapsed.TotalSeconds, e.GetType().Name + ": " + e.Message.Split('\n')[0]);
        }
    }

    /// <summary>
    /// Runs one instance as a child <c>certify verify</c> process and reads its result file. A child that crashes or writes
    /// no result is an error (with its exit code); one that overruns its limit by more than 30 s is killed (a timeout).
    /// </summary>
    static (string Result, double Seconds, string How) RunIsolated(Instance inst, double timeoutSeconds, string method)
    {
        var clock = Stopwatch.StartNew();
        var resultFile = Path.Combine(Path.GetTempPath(), $"certify-run-{Environment.ProcessId}-{Guid.NewGuid():N}.txt");
        try
        {
            // `dotnet certify.dll verify ...`, with the host running this process when it is dotnet (else the SDK's, or PATH's).
            var host = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
                : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
            var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(typeof(RunCommand).Assembly.Location);
            foreach (var a in new[] { "verify", inst.Onnx, inst.Vnnlib, "--timeout", timeoutSeconds.ToString("R", CultureInfo.InvariantCulture),
                         "--results", resultFile, "--method", method, "--quiet" })
                start.ArgumentList.Add(a);
            using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start " + start.FileName);
            var stderr = child.StandardError.ReadToEndAsync();
            var stdout = child.StandardOutput.ReadToEndAsync();
            if (!child.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds + 30)))
            {
                child.Kill(entireProcessTree: true);
                return ("timeout", clock.Elapsed.TotalSeconds, "killed after overrunning its limit by 30 s");
            }
            var seconds = clock.Elapsed.TotalSeconds;
            if (child.ExitCode != 0 || !File.Exists(resultFile))
            {
                var why = stderr.Result.Split('\n').LastOrDefault(l => l.Trim().Length > 0) ?? "";
                return ("error", seconds, $"certify verify exited with code {child.ExitCode}: {why.Trim()}");
            }
            var word = File.ReadLines(resultFile).FirstOrDefault()?.Trim() ?? "";
            if (word is not ("sat" or "unsat" or "unknown" or "timeout")) return ("error", seconds, $"unreadable result file (first line '{word}')");
            return (Counted(word, seconds, timeoutSeconds), seconds, stdout.Result.Trim());
        }
        catch (Exception e)
        {
            return ("error", clock.Elapsed.TotalSeconds, e.GetType().Name + ": " + e.Message.Split('\n')[0]);
        }
        finally { File.Delete(resultFile); }
    }

    /// <summary>Prints per-family counts; false when any answer contradicts a label.</summary>
    static bool Summarise(List<(Instance Inst, string Result, double Seconds)> rows)
    {
        var table = new Table().AddColumns("family", "instances", "unsat", "sat", "unknown/timeout", "error", "labelled", "correct", "WRONG", "time (s)");
        int wrongTotal = 0;
        foreach (var g in rows.GroupBy(r => r.Inst.Family).OrderBy(g => g.Key))
        {
            int labelled = g.Count(r => r.Inst.Label is not null);
            int correct = g.Count(r => r.Inst.Label is { } l && r.Result == l);
            int wrong = g.Count(r => r.Inst.Label is { } l && r.Result is "sat" or "unsat" && r.Result != l);
            wrongTotal += wrong;
            table.AddRow(g.Key, g.Count().ToString(), g.Count(r => r.Result == "unsat").ToString(), g.Count(r => r.Result == "sat").ToString(),
                g.Count(r => r.Result is "unknown" or "timeout").ToString(), g.Count(r => r.Result == "error").ToString(),
                labelled.ToString(), correct.ToString(), wrong == 0 ? "0" : $"[red bold]{wrong}[/]", g.Sum(r => r.Seconds).ToString("F1", CultureInfo.InvariantCulture));
        }
        AnsiConsole.Write(table);
        if (wrongTotal > 0) AnsiConsole.MarkupLine($"[red bold]{wrongTotal} answer(s) contradict their label: soundness bug until proven otherwise.[/]");
        return wrongTotal == 0;
    }
}

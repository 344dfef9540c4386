using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Certify.Verification;
using Certify.Verification.Benchmarks;
using Certify.Verification.Search;
using Spectre.Console;

namespace Certify.Cli.Commands;

/// <summary>
/// <c>certify run INSTANCES.csv [--root DIR] [--timeout-scale F] [--out results.csv]</c>: runs a VNN-COMP instance list and,
/// where labels are known, counts correct / wrong / unknown answers and flags every disagreement.
/// </summary>
/// <summary>
/// <c>certify run INSTANCES.csv [--root DIR] [--timeout-scale F] [--out results.csv]</c>: runs a VNN-COMP instance list and,
/// where labels are known, counts correct / wrong / unknown answers and flags every disagreement.
/// <para>Exit codes (<see cref="ExitCodes"/>): 0 when every instance answered (any verdict) and none contradicts its
/// label; 1 when an answer contradicts a label or an instance ended in error (a crash, an unreadable network: the run
/// did not measure what it was asked to, and a script must not read that as success); 2 for bad input (the list, an
/// option, an --out file that cannot be written or that another run holds); 130 when interrupted (SIGINT or SIGTERM),
/// with every finished row on disk and the unfinished one not, so that <c>--resume</c> completes the list.</para>
/// </summary>
public sealed class RunCommand : ICliCommand
{
    public Command Build()
    {
        var list = new Argument<string>("instances") { Description = "Instance list: VNN-COMP instances.csv (onnx,vnnlib,timeout) or a list with a header (e.g. sets/labelled.csv)." };
        var root = new Option<string?>("--root") { Description = "Folder the list's paths are relative to (default: the list's folder, or its parent for sets/)." };
        var scale = new Option<double>("--timeout-scale") { Description = "Multiply every instance's timeout by this.", DefaultValueFactory = _ => 1.0 }.Positive();
        var maxTimeout = new Option<double?>("--max-timeout") { Description = "Cap every instance's timeout (seconds, after scaling)." }.Seconds();
        var output = new Option<string?>("--out") { Description = "Write family,network,property,result,seconds rows (plus label) to this CSV, one row as each instance finishes. The file is locked for the run: a second run with the same --out is refused." };
        var family = new Option<string?>("--family") { Description = "Only instances of this family." };
        var limit = new Option<int?>("--limit") { Description = "Only the first N instances (after --family)." }.AtLeast(1);
        var isolate = new Option<bool>("--isolate") { Description = "Run each instance in its own process (`certify verify`), as VNN-COMP's scripts do: a crash then costs one instance, not the run. Adds about a second per instance." };
        var resume = new Option<bool>("--resume") { Description = "Keep the rows already in the --out file and run only the instances missing from it (after a crash or an interruption). A truncated last line (a run killed while writing it) is dropped with a message and its instance runs again." };
        var method = new Option<string>("--method") { Description = "Bounds inside branch and bound: auto (crown for input splitting, beta-crown for neuron splitting), crown, alpha-crown or beta-crown.", DefaultValueFactory = _ => "auto" }
            .OneOf("auto", "crown", "alpha-crown", "beta-crown");
        var cmd = new Command("run", "Run a list of verification instances, write the results, and compare them with published labels. " +
                                     "Exit codes: 0 all answered, none wrong; 1 an answer contradicts a label or an instance ended in error; 2 bad input; 130 interrupted (finish with --resume).")
            { list, root, scale, maxTimeout, output, family, limit, method, resume, isolate };
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(list)!;
            if (Directory.Exists(path)) throw new CliException($"{path}: is a folder; give an instance list (.csv)");
            if (!File.Exists(path)) throw new CliException($"{path}: no such file");
            var rootDir = parse.GetValue(root);
            if (rootDir is not null && !Directory.Exists(rootDir)) throw new CliException($"--root {rootDir}: no such folder");
            IReadOnlyList<Instance> instances;
            try { instances = InstanceList.Load(path, rootDir); }
            catch (FormatException e) { throw new CliException(e.Message); }
            if (parse.GetValue(family) is { } fam)
            {
                var families = instances.Select(i => i.Family).Distinct().Order(StringComparer.Ordinal).ToList();
                instances = instances.Where(i => i.Family == fam).ToList();
                if (instances.Count == 0) throw new CliException($"--family {fam}: no instance of that family in {path} (families: {string.Join(", ", families)})");
            }
            if (instances.Count == 0) throw new CliException($"{path}: no instances");
            if (parse.GetValue(limit) is { } n) instances = instances.Take(n).ToList();
            // A list whose paths do not resolve is bad input, found before an hour of work and not as one error row each.
            var missing = instances.SelectMany(i => new[] { (i, i.Onnx), (i, i.Vnnlib) }).Where(x => !File.Exists(x.Item2)).ToList();
            if (missing.Count > 0)
                throw new CliException($"{path}:{missing[0].i.Line}: {missing[0].Item2}: no such file" +
                                       (missing.Count > 1 ? $" ({missing.Count} missing files in the list{(rootDir is null ? "; paths are relative to the list's folder unless --root is given" : "")})" : ""));
            var babMethod = VerifyCommand.ParseMethod(parse.GetValue(method)!);
            double s = parse.GetValue(scale);
            double? cap = parse.GetValue(maxTimeout);
            var outPath = parse.GetValue(output);
            bool resuming = parse.GetValue(resume);
            if (resuming && outPath is null) throw new CliException("--resume needs --out (the results file to go on with)");
            OutputFiles.Check(outPath, "--out");

            var rows = new List<(Instance Inst, string Result, double Seconds, string How)>();
            using var results = outPath is null ? null : RunResultsFile.Open(outPath, resuming);
            if (results?.Note is { } note) Console.Error.WriteLine($"certify: {note}");   // one plain line, also in logs
            if (resuming)
            {
                var done = results!.Done;
                foreach (var inst in instances)
                    if (done.TryGetValue(RunResultsFile.Key(inst), out var d)) rows.Add((inst, d.Result, d.Seconds, "(from " + outPath + ")"));
                instances = instances.Where(i => !done.ContainsKey(RunResultsFile.Key(i))).ToList();
                AnsiConsole.MarkupLine($"resuming: {rows.Count} instance(s) already in {Markup.Escape(outPath!)}, {instances.Count} to run");
            }

            // SIGINT (Ctrl-C) and SIGTERM stop the run between rows: the instance under way is abandoned (its row is not
            // written, so --resume runs it again) and an isolated child is killed with its process tree. A second signal
            // terminates at once, as without the handler.
            using var interrupt = new CancellationTokenSource();
            PosixSignalRegistration Trap(PosixSignal signal) => PosixSignalRegistration.Create(signal, ctx =>
            {
                if (interrupt.IsCancellationRequested) return;           // second signal: default handling ends the process
                ctx.Cancel = true;
                interrupt.Cancel();
            });
            using var sigint = Trap(PosixSignal.SIGINT);
            using var sigterm = Trap(PosixSignal.SIGTERM);
            bool isolated = parse.GetValue(isolate);
            ForegroundProgress.Create()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask($"{instances.Count} instances", maxValue: Math.Max(1, instances.Count));
                    var refresh = new ForegroundProgress.Refresher(ctx);
                    foreach (var inst in instances)
                    {
                        if (interrupt.IsCancellationRequested) break;
                        task.Description = $"{inst.Family}/{inst.Network} {inst.Property}";
                        refresh.Tick(force: true);
                        var timeout = inst.TimeoutSeconds * s;
                        if (cap is { } c) timeout = Math.Min(timeout, c);
                        var (result, seconds, how) = isolated
                            ? RunIsolated(inst, timeout, parse.GetValue(method)!, interrupt.Token)
                            : RunOne(inst, timeout, babMethod, interrupt.Token);
                        if (interrupt.IsCancellationRequested) break;          // an interrupted verdict is not a measurement
                        rows.Add((inst, result, seconds, how));
                        results?.Append(inst, result, seconds);
                        if (inst.Label is { } label && (result is "sat" or "unsat") && result != label)
                            AnsiConsole.MarkupLine($"[red bold]WRONG[/] {Markup.Escape(inst.Onnx)} {Markup.Escape(inst.Vnnlib)}: answered {result}, label {label}");
                        if (result == "error") // the reason would otherwise be lost: the results file holds only the word
                            AnsiConsole.MarkupLine($"[yellow]error[/] {Markup.Escape(inst.Onnx)} {Markup.Escape(inst.Vnnlib)}: {Markup.Escape(how)}");
                        task.Increment(1);
                    }
                    refresh.Tick(force: true);
                });

            if (interrupt.IsCancellationRequested)
            {
                Console.Error.WriteLine($"certify: interrupted: {rows.Count} row(s) finished" +
                                        (outPath is null ? " (no --out file: nothing kept)" : $" and in {outPath}; run the same command with --resume to finish the list"));
                return ExitCodes.Interrupted;
            }
            return Summarise(rows.Select(r => (r.Inst, r.Result, r.Seconds)).ToList());
        });
        return cmd;
    }

    /// <summary>The word a run counts as: an answer that overshoots its limit (by more than 1 s) is a timeout, as in VNN-COMP.</summary>
    static string Counted(string word, double seconds, double timeoutSeconds) =>
        seconds > timeoutSeconds + 1 && word is "sat" or "unsat" ? "timeout" : word;

    /// <summary>Runs one instance in-process; any failure is reported as an error result, never as an answer.</summary>
    static (string Result, double Seconds, string How) RunOne(Instance inst, double timeoutSeconds, Certify.Bounds.BoundMethod? method, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var report = Verifier.Verify(inst.Onnx, inst.Vnnlib, new VerifierOptions
            {
                Timeout = TimeSpan.FromSeconds(timeoutSeconds),
                Bab = new BabOptions { Method = method },
            }, cancel);
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
    const string SetPriv = "/usr/bin/setpriv";

    static (string Result, double Seconds, string How) RunIsolated(Instance inst, double timeoutSeconds, string method, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var resultFile = Path.Combine(Path.GetTempPath(), $"certify-run-{Environment.ProcessId}-{Guid.NewGuid():N}.txt");
        try
        {
            // `dotnet certify.dll verify ...`, with the host running this process when it is dotnet (else the SDK's, or PATH's).
            var host = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
                : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
            var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            // A run killed with SIGKILL cannot end its child, which then went on as an orphan to its own time limit (the
            // fault drill found one per kill). Where util-linux's setpriv exists, the kernel kills the child with its
            // parent (PR_SET_PDEATHSIG; it fires when the forking thread ends, and this is the run's own thread).
            if (OperatingSystem.IsLinux() && File.Exists(SetPriv))
            {
                start.FileName = SetPriv;
                foreach (var a in new[] { "--pdeathsig", "KILL", "--", host }) start.ArgumentList.Add(a);
            }
            start.ArgumentList.Add(typeof(RunCommand).Assembly.Location);
            foreach (var a in new[] { "verify", inst.Onnx, inst.Vnnlib, "--timeout", timeoutSeconds.ToString("R", CultureInfo.InvariantCulture),
                         "--results", resultFile, "--method", method, "--quiet" })
                start.ArgumentList.Add(a);
            using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start " + start.FileName);
            var stderr = child.StandardError.ReadToEndAsync();
            var stdout = child.StandardOutput.ReadToEndAsync();
            // Waits in short steps so that an interruption of the run also ends the child (it is not in the terminal's
            // process group when the signal was sent to this process alone, e.g. by `kill -INT`).
            var deadline = TimeSpan.FromSeconds(timeoutSeconds + 30);
            while (!child.WaitForExit(TimeSpan.FromMilliseconds(200)))
            {
                if (cancel.IsCancellationRequested)
                {
                    child.Kill(entireProcessTree: true);
                    child.WaitForExit();
                    return ("error", clock.Elapsed.TotalSeconds, "interrupted");
                }
                if (clock.Elapsed > deadline)
                {
                    child.Kill(entireProcessTree: true);
                    return ("timeout", clock.Elapsed.TotalSeconds, "killed after overrunning its limit by 30 s");
                }
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

    /// <summary>
    /// Prints per-family counts and returns the exit code: <see cref="ExitCodes.Failure"/> when any answer contradicts a
    /// label or any instance ended in error (a run whose every row is an error once exited 0), else <see cref="ExitCodes.Ok"/>.
    /// </summary>
    static int Summarise(List<(Instance Inst, string Result, double Seconds)> rows)
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
        int errors = rows.Count(r => r.Result == "error");
        if (errors > 0) Console.Error.WriteLine($"certify: {errors} of {rows.Count} instance(s) ended in error (reasons above); exit code {ExitCodes.Failure}");
        if (wrongTotal > 0) Console.Error.WriteLine($"certify: {wrongTotal} answer(s) contradict their label; exit code {ExitCodes.Failure}");
        return wrongTotal > 0 || errors > 0 ? ExitCodes.Failure : ExitCodes.Ok;
    }
}

/// <summary>
/// The <c>--out</c> file of a <c>run</c>, held open and exclusively locked for the whole run. Two runs appending to the
/// same file once lost a row and glued two rows into one line while both exited 0; now the second is refused at once.
/// The lock is the one .NET takes for <see cref="FileShare.None"/> (an advisory <c>flock</c> on Unix), which every Certify
/// process honours; it is released when the process ends, however it ends, so a killed run leaves no stale lock.
/// <para>Each row goes to the file in one write of one complete line and is flushed, so a run killed part-way keeps every
/// finished row and at worst a truncated last line, which <see cref="Open"/> drops (with a <see cref="Note"/>) on resume.</para>
/// </summary>
public sealed class RunResultsFile : IDisposable
{
    /// <summary>The first line of every results file.</summary>
    public const string Header = "family,network,property,result,seconds,label";

    readonly FileStream _stream;
    readonly string _path;

    RunResultsFile(FileStream stream, string path, Dictionary<(string, string, string), (string, double)> done, string? note)
    {
        _stream = stream;
        _path = path;
        Done = done;
        Note = note;
    }

    /// <summary>Rows already in the file (on resume), by <see cref="Key"/>; empty otherwise.</summary>
    public IReadOnlyDictionary<(string, string, string), (string Result, double Seconds)> Done { get; }

    /// <summary>What was repaired on opening (a truncated last line dropped), for the user; null when nothing was.</summary>
    public string? Note { get; }

    /// <summary>The key rows are matched by on resume.</summary>
    public static (string, string, string) Key(Instance i) => (i.Family, i.Network, i.Property);

    /// <summary>
    /// Opens and locks <paramref name="path"/>. Without <paramref name="resume"/> the file is emptied and gets a header;
    /// with it, its rows are read (a truncated last line is cut off) and new rows are appended.
    /// </summary>
    /// <exception cref="CliException">when another process holds the file, it cannot be read or written, or a complete line is malformed.</exception>
    public static RunResultsFile Open(string path, bool resume)
    {
        FileStream stream;
        try { stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0); }
        catch (IOException e)
        {
            throw new CliException($"--out {path}: cannot be taken for this run ({e.Message}); is another `certify run` writing it? Wait for it or give another file");
        }
        catch (UnauthorizedAccessException e) { throw new CliException($"--out {path}: cannot be written ({e.Message})"); }
        try
        {
            var done = new Dictionary<(string, string, string), (string, double)>();
            string? note = null;
            // A device such as /dev/full reports no length and cannot be truncated (EINVAL): it is only written to, and
            // fails there. A regular file reports its length.
            bool file = stream.CanSeek && stream.Length > 0;
            string text = file && resume ? ReadAll(stream, path) : "";
            if (file && !resume) stream.SetLength(0);
            if (text.Length > 0 && !text.EndsWith('\n'))
            {
                int cut = text.LastIndexOf('\n') + 1;
                var partial = text[cut..];
                note = $"{path}: dropped a truncated last line '{(partial.Length > 60 ? partial[..60] + "..." : partial)}' (a run killed while writing it); its instance runs again";
                text = text[..cut];
                stream.SetLength(Encoding.UTF8.GetByteCount(text));
            }
            var lines = text.Split('\n');
            for (int i = 1; i < lines.Length - 1; i++)          // line 0 is the header, the last piece is empty (text ends in \n)
            {
                var line = lines[i].TrimEnd('\r');
                if (line.Length == 0) continue;
                var p = line.Split(',');
                if (p.Length < 5 || !double.TryParse(p[4], NumberStyles.Float, CultureInfo.InvariantCulture, out var sec))
                    throw new CliException($"{path}:{i + 1}: cannot resume from the line '{line}' (expected {Header})");
                done[(p[0], p[1], p[2])] = (p[3], sec);
            }
            if (text.Length > 0 && lines[0].TrimEnd('\r') != Header)
                throw new CliException($"{path}:1: not a results file of `certify run` (first line '{lines[0]}', expected '{Header}')");
            var results = new RunResultsFile(stream, path, done, note);
            if (file) stream.Seek(0, SeekOrigin.End);           // (an empty file is at its end already)
            if (text.Length == 0) results.WriteLine(Header);
            return results;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    static string ReadAll(FileStream stream, string path)
    {
        if (stream.Length > Certify.IO.InputFile.MaxListBytes)
            throw new CliException($"--out {path}: {stream.Length:N0} bytes, more than a results file Certify reads back ({Certify.IO.InputFile.MaxListBytes:N0})");
        var bytes = new byte[stream.Length];
        stream.Position = 0;
        stream.ReadExactly(bytes);
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Appends one row, in one write, and flushes it.</summary>
    public void Append(Instance inst, string result, double seconds) =>
        WriteLine($"{inst.Family},{inst.Network},{inst.Property},{result},{seconds.ToString("F3", CultureInfo.InvariantCulture)},{inst.Label}");

    void WriteLine(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        OutputFiles.Write(_path, "--out", () =>
        {
            _stream.Write(bytes);
            _stream.Flush();
        });
    }

    public void Dispose()
    {
        // A disk that filled up fails the final flush too; the rows written before are kept and the error was reported.
        try { _stream.Dispose(); }
        catch (IOException) { }
    }
}

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Certify.Cli.Configuration;
using Certify.Verification;
using Certify.Verification.Benchmarks;
using Certify.Verification.Proofs;
using Certify.Verification.Search;
using Spectre.Console;

namespace Certify.Cli.Commands;

/// <summary>
/// <c>certify run INSTANCES.csv [--root DIR] [--timeout-scale F] [--out results.csv] [--out-dir DIR] [--vnncomp-csv FILE]</c>:
/// runs a VNN-COMP instance list and, where labels are known, counts correct / wrong / unknown answers and flags every
/// disagreement. <c>--out-dir</c> keeps each instance's VNN-COMP result file (<see cref="ResultFolder"/>), with the
/// counterexample of every sat; <c>--certificate-dir</c> writes a certificate of every unsat and an index
/// (<see cref="CertificateIndex"/>) for <c>check-certificate --certificate-dir</c>; <c>--vnncomp-csv</c> writes the competition's <c>results.csv</c> layout (<see cref="VnncompResults"/>).
/// <para>Exit codes (<see cref="ExitCodes"/>): 0 when every instance answered (any verdict) and none contradicts its
/// label; 1 when an answer contradicts a label or an instance ended in error (a crash, an unreadable network: the run
/// did not measure what it was asked to, and a script must not read that as success); 2 for bad input (the list, an
/// option, an --out file that cannot be written or that another run holds); 130 when interrupted (SIGINT or SIGTERM),
/// with every finished row on disk and the unfinished one not, so that <c>--resume</c> completes the list.</para>
/// <para>Settings: <c>--config FILE</c> gives every instance the file's verification settings (attack, branch and bound,
/// exact back-ends) and the runner's (<see cref="RunnerOptions"/>); typed flags override them. An isolated instance gets
/// the same settings as a configuration file written for the run. <c>--json</c> prints one document at the end
/// (<c>specs/result-json.md</c>) with the counterexample of every sat row, and sends progress and the table to standard error.</para>
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
        var json = new Option<bool>("--json") { Description = "Print one JSON document on standard output when the run ends (specs/result-json.md): a row per instance with verdict, reason, time and the counterexample when sat, and per-family counts. Progress and the summary table go to standard error." };
        var outDir = new Option<string?>("--out-dir") { Description = "Keep one VNN-COMP result file per instance in this folder (created when missing): FAMILY__NETWORK__PROPERTY.txt with the verdict and, for sat, the counterexample ((X_0 v) ... (Y_0 v)); check one with `certify check-result`." };
        var certDir = new Option<string?>("--certificate-dir") { Description = "Write a certificate of every unsat to this folder (created when missing): FAMILY__NETWORK__PROPERTY.cert.json.gz (specs/certificate.md), and an index certificates.csv (per instance: paths, result, seconds, certificate file, leaves, or why there is none). Check them all with `certify check-certificate --certificate-dir DIR`. Not with --isolate or --jobs." };
        var vnncompCsv = new Option<string?>("--vnncomp-csv") { Description = "Also write VNN-COMP's results.csv layout to this file: benchmark,onnx,vnnlib,prepare_time,result,run_time per instance, no header." };
        var config = ConfigOption.Create();
        var shard = Certify.Cli.Parallel.Shard.Option();               // parallel and cluster runs: src/Certify.Cli/Parallel
        var jobs = Certify.Cli.Parallel.ParallelRun.JobsOption();
        var cmd = new Command("run", "Run a list of verification instances, write the results, and compare them with published labels. " +
                                     "Exit codes: 0 all answered, none wrong; 1 an answer contradicts a label or an instance ended in error; 2 bad input; 130 interrupted (finish with --resume).")
            { list, root, scale, maxTimeout, output, outDir, certDir, vnncompCsv, family, limit, method, resume, isolate, json, config, shard, jobs };
        cmd.SetAction(parse =>
        {
            var runClock = Stopwatch.StartNew();
            var path = parse.GetValue(list)!;
            var settings = ConfigOption.Load(parse, config);
            bool j = parse.GetValue(json);
            var ui = j ? Terminal.StandardError() : AnsiConsole.Console;   // with --json, standard output holds the document only
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
            // The file's settings, with the flags that were typed on top (a flag's default does not override the file).
            var runner = settings.Runner;
            if (ConfigOption.Given(parse, scale)) runner = runner with { TimeoutScale = parse.GetValue(scale) };
            if (parse.GetValue(maxTimeout) is { } cap) runner = runner with { MaxTimeout = TimeSpan.FromSeconds(cap) };
            if (parse.GetValue(isolate)) runner = runner with { Isolate = true };
            var verifier = settings.Verifier;
            if (ConfigOption.Given(parse, method)) verifier = verifier with { Bab = verifier.Bab with { Method = VerifyCommand.ParseMethod(parse.GetValue(method)!) } };
            var outPath = parse.GetValue(output);
            bool resuming = parse.GetValue(resume);
            if (resuming && outPath is null) throw new CliException("--resume needs --out (the results file to go on with)");
            OutputFiles.Check(outPath, "--out");
            // Parallel and cluster runs (src/Certify.Cli/Parallel): --shard K/N keeps this process's share of the list;
            // --jobs N runs the list in N worker processes and merges their rows (null: this process runs them).
            if (parse.GetValue(shard) is { } share) instances = share.Take(instances);
            // Every output is checked before the first instance runs: an hour of work that cannot be kept is lost.
            var dirPath = parse.GetValue(outDir);
            if (dirPath is not null) OutputFiles.CheckFolder(dirPath, "--out-dir");
            var vnnPath = parse.GetValue(vnncompCsv);
            OutputFiles.Check(vnnPath, "--vnncomp-csv");
            var certPath = parse.GetValue(certDir);
            if (certPath is not null)
            {
                // Certificates are recorded by the verifier in this process; a child process or worker would need the request
                // forwarded, which is not done yet: refused rather than silently writing none.
                if (runner.Isolate) throw new CliException("--certificate-dir: not with --isolate (certificates are written by in-process runs only)");
                if (parse.GetValue(jobs) > 1) throw new CliException("--certificate-dir: not with --jobs (certificates are written by in-process runs only)");
                OutputFiles.CheckFolder(certPath, "--certificate-dir");
            }
            // Rows are matched back to instances on resume and from the workers: two instances of one name would be one.
            if (resuming || parse.GetValue(jobs) > 1) RunResultsFile.RequireDistinctKeys(instances, path, resuming ? "--resume" : "--jobs");
            var limits = runner;
            var jsonRequest = j ? new Certify.Cli.Parallel.ParallelRun.JsonRequest(path, i => limits.InstanceSeconds(i.TimeoutSeconds), runClock) : null;
            if (Certify.Cli.Parallel.ParallelRun.Jobs(parse, parse.GetValue(jobs), instances, outPath, resuming, jsonRequest, ui, vnnPath) is { } parallelExit) return parallelExit;
            var folder = dirPath is null ? null : new ResultFolder(dirPath, instances);
            var certFolder = certPath is null ? null : new ResultFolder(certPath, instances);
            if (certPath is not null && !resuming) OutputFiles.Write(certPath, "--certificate-dir", () => CertificateIndex.Reset(certPath));

            var rows = new List<Row>();
            using var results = outPath is null ? null : RunResultsFile.Open(outPath, resuming);
            if (results?.Note is { } note) Console.Error.WriteLine($"certify: {note}");   // one plain line, also in logs
            if (resuming)
            {
                var done = results!.Done;
                foreach (var inst in instances)
                    if (done.TryGetValue(RunResultsFile.Key(inst), out var d)) rows.Add(new Row(inst, d.Result, d.Seconds, "(from " + outPath + ")", runner.InstanceSeconds(inst.TimeoutSeconds)));
                instances = instances.Where(i => !done.ContainsKey(RunResultsFile.Key(i))).ToList();
                ui.MarkupLine($"resuming: {rows.Count} instance(s) already in {Markup.Escape(outPath!)}, {instances.Count} to run");
            }
            using var vnncomp = vnnPath is null ? null : OpenVnncomp(vnnPath);
            foreach (var r in rows) vnncomp?.Append(r.Inst, r.Result, r.Seconds);   // resumed rows (their result files are already in --out-dir)

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
            // An isolated instance is a child `certify verify` with the same settings: they travel as a configuration file.
            string? childConfig = null;
            if (runner.Isolate)
            {
                childConfig = Path.Combine(Path.GetTempPath(), $"certify-run-{Environment.ProcessId}-{Guid.NewGuid():N}.yaml");
                File.WriteAllText(childConfig, ConfigFile.Dump(settings with { Verifier = verifier, Runner = runner }));
            }
            try
            {
                ForegroundProgress.Create(ui)
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
                            var timeout = runner.InstanceSeconds(inst.TimeoutSeconds);
                            var row = childConfig is not null
                                ? RunIsolated(inst, timeout, childConfig, interrupt.Token)
                                : RunOne(inst, timeout, verifier, interrupt.Token, certFolder is null ? null : CertificateIndex.CertificatePath(certFolder, inst));
                            if (interrupt.IsCancellationRequested) break;          // an interrupted verdict is not a measurement
                            rows.Add(row);
                            var (result, seconds, how) = (row.Result, row.Seconds, row.How);
                            results?.Append(inst, result, seconds);
                            if (vnncomp is not null) OutputFiles.Write(vnnPath!, "--vnncomp-csv", () => vnncomp.Append(inst, result, seconds));
                            if (folder is not null) OutputFiles.Write(folder.PathOf(inst), "--out-dir", () => folder.Write(inst, result, row.X, row.Y));
                            if (certFolder is not null)
                                OutputFiles.Write(certPath!, "--certificate-dir", () => CertificateIndex.Append(certPath!,
                                    CertificateIndex.Entry(inst, result, seconds, CertificateIndex.CertificatePath(certFolder, inst), row.Certificate)));
                            if (inst.Label is { } label && (result is "sat" or "unsat") && result != label)
                                ui.MarkupLine($"[red bold]WRONG[/] {Markup.Escape(inst.Onnx)} {Markup.Escape(inst.Vnnlib)}: answered {result}, label {label}");
                            if (result == "error") // the reason would otherwise be lost: the results file holds only the word
                                ui.MarkupLine($"[yellow]error[/] {Markup.Escape(inst.Onnx)} {Markup.Escape(inst.Vnnlib)}: {Markup.Escape(how)}");
                            task.Increment(1);
                        }
                        refresh.Tick(force: true);
                    });
            }
            finally { if (childConfig is not null) File.Delete(childConfig); }

            if (interrupt.IsCancellationRequested)
            {
                Console.Error.WriteLine($"certify: interrupted: {rows.Count} row(s) finished" +
                                        (outPath is null ? " (no --out file: nothing kept)" : $" and in {outPath}; run the same command with --resume to finish the list"));
                return ExitCodes.Interrupted;
            }
            int code = Summarise(rows.Select(r => (r.Inst, r.Result, r.Seconds)).ToList(), ui);
            if (j)
                Console.Write(ResultJson.Text(ResultJson.Run(path, rows.Select(r => new ResultJson.RunRow(r.Inst.Family, r.Inst.Network, r.Inst.Property,
                    r.Result, r.How, r.Seconds, r.Timeout, r.Inst.Label, r.X, r.Y, r.Detail)).ToList(), runClock.Elapsed.TotalSeconds, code)));
            return code;
        });
        return cmd;
    }

    static VnncompResults OpenVnncomp(string path)
    {
        try { return new VnncompResults(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"--vnncomp-csv {path}: cannot be written ({e.Message})"); }
    }

    /// <summary>The word a run counts as: an answer that overshoots its limit (by more than 1 s) is a timeout, as in VNN-COMP.</summary>
    static string Counted(string word, double seconds, double timeoutSeconds) =>
        seconds > timeoutSeconds + 1 && word is "sat" or "unsat" ? "timeout" : word;

    /// <summary>One finished instance: its counted result, time and how it was reached; the counterexample when sat.</summary>
    sealed record Row(Instance Inst, string Result, double Seconds, string How, double Timeout,
                      double[]? X = null, double[]? Y = null, Counterexample? Detail = null, string? Certificate = null);

    /// <summary>
    /// Runs one instance in-process; any failure is reported as an error result, never as an answer. With
    /// <paramref name="certificate"/>, an unsat writes its certificate there (the row keeps the report's certificate line).
    /// </summary>
    static Row RunOne(Instance inst, double timeoutSeconds, VerifierOptions options, CancellationToken cancel, string? certificate = null)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            if (certificate is not null) File.Delete(certificate);   // a file from an earlier run must not pass for this one's
            var report = Verifier.Verify(inst.Onnx, inst.Vnnlib, options with
            {
                Timeout = TimeSpan.FromSeconds(timeoutSeconds),
                Certificate = certificate is null ? null : new CertificateRequest(certificate, inst.Onnx, inst.Vnnlib),
            }, cancel);
            var word = Counted(report.Verdict.Word, clock.Elapsed.TotalSeconds, timeoutSeconds);
            var cex = word == "sat" ? report.Verdict.Counterexample : null;
            return new Row(inst, word, clock.Elapsed.TotalSeconds, ResultJson.Reason(report.Verdict), timeoutSeconds, cex?.X, cex?.Y, cex, report.Certificate);
        }
        catch (Exception e)
        {
            return new Row(inst, "error", clock.Elapsed.TotalSeconds, e.GetType().Name + ": " + e.Message.Split('\n')[0], timeoutSeconds);
        }
    }

    /// <summary>
    /// Runs one instance as a child <c>certify verify</c> process and reads its result file. A child that crashes or writes
    /// no result is an error (with its exit code); one that overruns its limit by more than 30 s is killed (a timeout).
    /// </summary>
    static Row RunIsolated(Instance inst, double timeoutSeconds, string configFile, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var resultFile = Path.Combine(Path.GetTempPath(), $"certify-run-{Environment.ProcessId}-{Guid.NewGuid():N}.txt");
        try
        {
            // `dotnet certify.dll verify ...`, through the one tool runner. The kernel kills the child with this run even when
            // the run itself is killed with SIGKILL (the fault drill once found an orphan per kill); an interruption of the
            // run kills it with its process tree (it is not in the terminal's process group when the signal was sent to
            // this process alone, e.g. by `kill -INT`); one that overruns its limit by more than 30 s is killed too.
            var outcome = ToolProcess.Run(new ToolCommand(ToolProcess.DotnetHost,
                [typeof(RunCommand).Assembly.Location, "verify", inst.Onnx, inst.Vnnlib, "--timeout", timeoutSeconds.ToString("R", CultureInfo.InvariantCulture),
                 "--results", resultFile, "--config", configFile, "--json"])
            {
                Timeout = TimeSpan.FromSeconds(timeoutSeconds + 30), DieWithParent = true,
            }, cancel);
            if (outcome.Cancelled) return new Row(inst, "error", outcome.Seconds, "interrupted", timeoutSeconds);
            if (outcome.TimedOut) return new Row(inst, "timeout", outcome.Seconds, "killed after overrunning its limit by 30 s", timeoutSeconds);
            var seconds = outcome.Seconds;
            if (outcome.ExitCode != 0 || !File.Exists(resultFile))
                return new Row(inst, "error", seconds, $"certify verify exited with code {outcome.ExitCode}: {outcome.LastErrorLine}", timeoutSeconds);
            var word = File.ReadLines(resultFile).FirstOrDefault()?.Trim() ?? "";
            if (word is not ("sat" or "unsat" or "unknown" or "timeout")) return new Row(inst, "error", seconds, $"unreadable result file (first line '{word}')", timeoutSeconds);
            var counted = Counted(word, seconds, timeoutSeconds);
            // The result file is the answer (as for VNN-COMP); the child's JSON document only adds the reason.
            var cex = counted == "sat" ? Certify.Spec.ResultFile.Read(resultFile) : null;
            return new Row(inst, counted, seconds, ChildReason(outcome.Stdout) ?? word, timeoutSeconds, cex?.X, cex?.Y);
        }
        catch (Exception e)
        {
            return new Row(inst, "error", clock.Elapsed.TotalSeconds, e.GetType().Name + ": " + e.Message.Split('\n')[0], timeoutSeconds);
        }
        finally { File.Delete(resultFile); }
    }

    /// <summary>The <c>reason</c> of a child's <c>verify --json</c> document, or null when it is not one.</summary>
    static string? ChildReason(string stdout)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(stdout);
            return doc.RootElement.TryGetProperty("reason", out var r) && r.ValueKind == System.Text.Json.JsonValueKind.String ? r.GetString() : null;
        }
        catch (System.Text.Json.JsonException) { return null; }
    }

    /// <summary>
    /// Prints per-family counts and returns the exit code: <see cref="ExitCodes.Failure"/> when any answer contradicts a
    /// label or any instance ended in error (a run whose every row is an error once exited 0), else <see cref="ExitCodes.Ok"/>.
    /// </summary>
    internal static int Summarise(List<(Instance Inst, string Result, double Seconds)> rows, IAnsiConsole ui)
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
        ui.Write(table);
        if (wrongTotal > 0) ui.MarkupLine($"[red bold]{wrongTotal} answer(s) contradict their label: soundness bug until proven otherwise.[/]");
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
    public const string Header = RunResultsList.Header;

    readonly FileStream _stream;
    readonly string _path;
    readonly bool _checked;

    RunResultsFile(FileStream stream, string path, Dictionary<(string, string, string), (string, double)> done, string? note, bool check)
    {
        _stream = stream;
        _path = path;
        Done = done;
        Note = note;
        _checked = check;
    }

    /// <summary>Rows already in the file (on resume), by <see cref="Key"/>; empty otherwise.</summary>
    public IReadOnlyDictionary<(string, string, string), (string Result, double Seconds)> Done { get; }

    /// <summary>What was repaired on opening (a truncated last line dropped), for the user; null when nothing was.</summary>
    public string? Note { get; }

    /// <summary>
    /// The key rows are matched by on resume (and by merges and comparisons): family, network and property names
    /// (<see cref="Instance.Network"/>, paths below the family's folders, so safenlp's medical/ and ruarobot/ stay apart).
    /// </summary>
    public static (string, string, string) Key(Instance i) => (i.Family, i.Network, i.Property);

    /// <summary>
    /// Refuses <paramref name="instances"/> (read from <paramref name="list"/>) when two share their <see cref="Key"/>:
    /// wherever rows are matched back to instances (<paramref name="why"/>: <c>--resume</c>, <c>--jobs</c>, a comparison),
    /// the second would be taken for the first. Names follow the family layout (<see cref="Instance.Network"/>), so this
    /// is a list whose paths do not (two absolute paths to files of the same names).
    /// </summary>
    /// <exception cref="CliException">naming both lines of the list.</exception>
    public static void RequireDistinctKeys(IReadOnlyList<Instance> instances, string list, string why)
    {
        if (instances.GroupBy(Key).FirstOrDefault(g => g.Count() > 1) is not { } twice) return;
        var (first, second) = (twice.First(), twice.Skip(1).First());
        throw new CliException($"{list}:{second.Line}: the instance {first.Family} {first.Network} {first.Property} has the names of {list}:{first.Line} " +
                               $"({why} matches results rows by family, network and property and could not tell them apart); " +
                               "keep a family's files below its onnx/ and vnnlib/ folders, or rename one");
    }

    /// <summary>
    /// Opens and locks <paramref name="path"/>. Without <paramref name="resume"/> the file is emptied and gets a header;
    /// with it, its rows are read (a truncated last line is cut off) and new rows are appended. With
    /// <paramref name="check"/> the file has the <c>check</c> column (<see cref="RunResultsList.CheckedHeader"/>, the
    /// files of <c>certify compare</c>); a file resumed must have it exactly when asked for, or its rows and the new
    /// ones would not line up.
    /// </summary>
    /// <exception cref="CliException">when another process holds the file, it cannot be read or written, or a complete line is malformed.</exception>
    public static RunResultsFile Open(string path, bool resume, bool check = false)
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
            // The one results reader: a header with the required columns, every row checked, errors naming file:line.
            if (text.Length > 0)
            {
                RunResults read;
                try { read = RunResultsList.Parse(text, path); }
                catch (CsvFormatException e) { throw new CliException($"{e.Message} (cannot resume from it)"); }
                if (read.Checked != check)
                    throw new CliException($"{path}:1: {(check ? "no check column (written by an older `certify compare`?)" : "a check column (a file of `certify compare`)")}; " +
                                           $"cannot resume from it (expected the header {(check ? RunResultsList.CheckedHeader : Header)}): run without --resume");
                foreach (var row in read.Rows) done[row.Key] = (row.Result, row.Seconds);
            }
            var results = new RunResultsFile(stream, path, done, note, check);
            if (file) stream.Seek(0, SeekOrigin.End);           // (an empty file is at its end already)
            if (text.Length == 0) results.WriteLine((check ? RunResultsList.CheckedHeader : Header) + "\n");
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

    /// <summary>
    /// Appends one row, in one write, and flushes it; in a file with the check column, <paramref name="check"/> goes
    /// there (<see cref="SatCheck"/>; empty for a result that is not sat), elsewhere it is not written.
    /// </summary>
    public void Append(Instance inst, string result, double seconds, string? check = null) =>
        WriteLine(RunResultsList.Line(inst, result, seconds, _checked ? check ?? "" : null));

    /// <summary>Writes <paramref name="line"/> (ending in its line break) in one write, and flushes it.</summary>
    void WriteLine(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
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

using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Certify.Reports;
using Certify.Verification.Benchmarks;

namespace Certify.Cli.Commands;

/// <summary>
/// <c>certify compare LIST --tool NAME=SPEC ... [--timeout-cap S] --out-dir DIR</c>: runs every tool on every instance
/// of an instance list, interleaved per instance with the tools' order rotated per instance (<see cref="SideBySide"/>),
/// each run a whole process, and writes per tool <c>DIR/NAME.csv</c> (the results format of <c>certify run --out</c>,
/// labels included, so <c>certify report</c> and <c>merge</c> read it), each run's result file under
/// <c>DIR/results/NAME/</c>, the tables (<see cref="ToolComparison"/>) to standard output and <c>DIR/table.txt</c>, and
/// the cactus plot (<see cref="CactusPlot"/>) to <c>DIR/cactus.png</c> and <c>DIR/report.html</c>.
/// <para>A SPEC is <c>certify</c> (this build's <c>certify verify</c>, one process per instance), <c>vnncomp:FOLDER</c>
/// (a VNN-COMP tool folder: <see cref="VnncompTool"/>) or a command template with <c>{onnx} {vnnlib} {results}
/// {timeout}</c> (and <c>{family}</c>), run by bash (<see cref="CommandTool"/>).</para>
/// <para>Every sat of every tool is re-checked as its run ends (<see cref="SatCheck"/>: the counterexample of its result
/// file in ONNX Runtime, as <c>certify check-result</c> does) and the outcome written to the row's <c>check</c> column
/// (<see cref="RunResultsList.CheckedHeader"/>); a sat whose counterexample is missing or does not hold counts as wrong,
/// not solved, whatever the label.</para>
/// <para><c>--resume</c> keeps the rows already in the tools' files and runs only the missing (instance, tool) pairs;
/// every row is written and flushed as its run ends, so a run killed part-way loses at most the run under way.</para>
/// <para>Exit codes: 0 done, no answer contradicts a label or another tool and every sat's counterexample holds; 1 some
/// answer does not (a tool is wrong); 2 bad
/// input (the list, a --tool that cannot be read, an output that cannot be written); 130 interrupted (finish with --resume).</para>
/// </summary>
public sealed class CompareCommand : ICliCommand
{
    public Command Build()
    {
        var list = new Argument<string>("instances") { Description = "Instance list: VNN-COMP instances.csv (onnx,vnnlib,timeout) or a list with a header (family,onnx,vnnlib,timeout[,label]; e.g. sets/labelled.csv)." };
        var tools = new Option<string[]>("--tool")
        {
            Description = "A tool to compare, NAME=SPEC (repeat for each tool). NAME ([A-Za-z0-9._-]) names its results file DIR/NAME.csv and its plot line. " +
                          "SPEC: 'certify' (this build's `certify verify`, one process per instance); 'vnncomp:FOLDER' (a VNN-COMP tool folder, called as " +
                          "prepare_instance.sh v1 FAMILY ONNX VNNLIB, then run_instance.sh v1 FAMILY ONNX VNNLIB RESULTS TIMEOUT, only the second timed); " +
                          "or a bash command with {onnx} {vnnlib} {results} {timeout} (and {family}) that writes the verdict (sat/unsat/timeout/unknown, or violated/holds) on the result file's first line.",
            Required = true, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false,
        };
        var cap = new Option<double?>("--timeout-cap") { Description = "Cap every instance's time limit at this many seconds (the list's limit otherwise)." }.Seconds();
        var outDir = new Option<string>("--out-dir") { Description = "Folder for the results: NAME.csv per tool, results/NAME/ (each run's result file), table.txt, cactus.png, report.html. Created when missing.", Required = true };
        var root = new Option<string?>("--root") { Description = "Folder the list's paths are relative to (default: the list's folder, or its parent for sets/)." };
        var family = new Option<string?>("--family") { Description = "Only instances of this family." };
        var limit = new Option<int?>("--limit") { Description = "Only the first N instances (after --family)." }.AtLeast(1);
        var resume = new Option<bool>("--resume") { Description = "Keep the rows already in DIR/NAME.csv and run only the missing (instance, tool) pairs." };
        var grace = new Option<double>("--grace") { Description = "Seconds a tool may run past the time limit before its process tree is killed (counted as timeout).", DefaultValueFactory = _ => 10 }.NonNegative();
        var cmd = new Command("compare", "Run several verifiers side by side on an instance list, interleaved per instance (tool order rotated per instance), one whole process per run; " +
                                         "write one results file per tool, the per-family table (solved, wrong against labels, time on the commonly solved instances and its ratio per pair) and a cactus plot. " +
                                         "Every sat's counterexample is re-checked in ONNX Runtime; a missing or invalid one counts as wrong (the reason is in the tool's CSV, column check). " +
                                         "Exit codes: 0 done, no wrong answer; 1 an answer contradicts a label or another tool, or a sat's counterexample does not hold; 2 bad input; 3 internal error; 130 interrupted (finish with --resume).")
            { list, tools, cap, outDir, root, family, limit, resume, grace };
        cmd.SetAction(parse =>
        {
            var instances = LoadList(parse.GetValue(list)!, parse.GetValue(root), parse.GetValue(family), parse.GetValue(limit));
            IReadOnlyList<ComparedTool> compared;
            try { compared = SideBySide.ParseTools(parse.GetValue(tools)!, CertifyTemplate(), parse.GetValue(grace)); }
            catch (ArgumentException e) { throw new CliException(e.Message); }
            var dir = parse.GetValue(outDir)!;
            OutputFiles.CheckFolder(dir, "--out-dir");
            double? timeoutCap = parse.GetValue(cap);
            bool resuming = parse.GetValue(resume);

            // SIGINT (Ctrl-C) and SIGTERM stop the comparison: the run under way is killed with its process tree and its row
            // is not written (so --resume runs it again); a second signal ends the process at once, as without the handler.
            using var interrupt = new CancellationTokenSource();
            PosixSignalRegistration Trap(PosixSignal signal) => PosixSignalRegistration.Create(signal, ctx =>
            {
                if (interrupt.IsCancellationRequested) return;
                ctx.Cancel = true;
                interrupt.Cancel();
            });
            using var sigint = Trap(PosixSignal.SIGINT);
            using var sigterm = Trap(PosixSignal.SIGTERM);
            var files = new List<RunResultsFile>();
            try
            {
                foreach (var t in compared)
                {
                    var f = RunResultsFile.Open(Path.Combine(dir, t.Name + ".csv"), resuming, check: true);
                    files.Add(f);
                    if (f.Note is { } note) Console.Error.WriteLine($"certify: {note}");
                    Directory.CreateDirectory(Path.Combine(dir, "results", t.Name));
                }
                var folder = new ResultFolder(Path.Combine(dir, "results"), instances);
                int todo = instances.Count * compared.Count - files.Sum(f => instances.Count(i => f.Done.ContainsKey(RunResultsFile.Key(i))));
                if (resuming) Console.Error.WriteLine($"resuming: {instances.Count * compared.Count - todo} run(s) already in {dir}, {todo} to go");
                int done = 0;
                for (int k = 0; k < instances.Count && !interrupt.IsCancellationRequested; k++)
                {
                    var inst = instances[k];
                    double timeout = Math.Min(inst.TimeoutSeconds, timeoutCap ?? double.PositiveInfinity);
                    foreach (int ti in SideBySide.Order(k, compared.Count))
                    {
                        if (files[ti].Done.ContainsKey(RunResultsFile.Key(inst))) continue;
                        var t = compared[ti];
                        var resultPath = Path.Combine(dir, "results", t.Name, Path.GetFileName(folder.PathOf(inst)));
                        File.Delete(resultPath);   // a stale file of an earlier run must never be read as this run's answer
                        var run = t.Tool.Run(inst.Family, inst.Onnx, inst.Vnnlib, resultPath, timeout, interrupt.Token);
                        if (run.Cancelled || interrupt.IsCancellationRequested) break;
                        var word = ToolVerdict.Read(run, resultPath, timeout);
                        // Every tool's sat is re-checked, Certify's included: the word alone is no answer (SatCheck).
                        var check = word == "sat" ? SatCheck.Check(inst.Onnx, inst.Vnnlib, resultPath) : "";
                        files[ti].Append(inst, word, run.Seconds, check);
                        done++;
                        var why = word == "error" ? $" ({ErrorLine(run)})" : "";
                        var wrong = inst.Label is { } l && word is "sat" or "unsat" && word != l ? $" WRONG (label {l})"
                            : word == "sat" && !SatCheck.IsValid(check) ? $" WRONG (counterexample {check})" : "";
                        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"[{done}/{todo}] {inst.Family} {inst.Network} {inst.Property}: {t.Name} {word} {run.Seconds:F2} s{wrong}{why}"));
                    }
                }
            }
            finally { foreach (var f in files) f.Dispose(); }
            if (interrupt.IsCancellationRequested)
            {
                Console.Error.WriteLine($"certify: interrupted; the finished runs are in {dir}: run the same command with --resume to finish the list");
                return ExitCodes.Interrupted;
            }

            var runs = ResultsFiles.Read(compared.Select(t => Path.Combine(dir, t.Name + ".csv")));
            // Only the rows of this list count (a resumed file may hold rows of instances since dropped from it).
            var keys = instances.Select(RunResultsFile.Key).ToHashSet();
            runs = runs.Select(r => r with { Rows = r.Rows.Where(row => keys.Contains(row.Key)).ToList() }).ToList();
            var table = ToolComparison.Text(runs);
            var heading = $"certify compare: {string.Join(", ", compared.Select(t => t.Name))} on {Path.GetFileName(parse.GetValue(list))}" +
                          (timeoutCap is { } c ? string.Create(CultureInfo.InvariantCulture, $" (time limit capped at {c:G} s)") : "");
            var image = CactusPlot.Png(runs, title: heading);
            OutputFiles.Write(dir, "--out-dir", () =>
            {
                File.WriteAllText(Path.Combine(dir, "table.txt"), heading + "\n" + string.Join("\n", compared.Select(t => $"{t.Name} = {t.Spec}")) + "\n\n" + table);
                File.WriteAllBytes(Path.Combine(dir, "cactus.png"), image);
                File.WriteAllText(Path.Combine(dir, "report.html"), HtmlReport.Render(runs, image, heading));
            });
            var o = parse.InvocationConfiguration.Output;
            o.Write(table);
            o.WriteLine($"results: {dir} (NAME.csv per tool, table.txt, cactus.png, report.html)");
            var disagreements = RunComparison.Disagreements(runs);
            foreach (var d in disagreements)
                o.WriteLine($"disagreement: {d.Family}/{d.Network} {d.Property}: {string.Join(" ", runs.Select((r, i) => $"{r.Name}={d.Answers[i] ?? "-"}"))} label={d.Label ?? "-"} ({d.Why})");
            if (disagreements.Count > 0)
            {
                Console.Error.WriteLine($"certify: {disagreements.Count} instance(s) with answers that contradict a label or another tool, or a sat whose counterexample does not hold; exit code {ExitCodes.Failure}");
                return ExitCodes.Failure;
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>This build's <c>certify verify</c> as a command template: the same host and assembly as this process.</summary>
    static string CertifyTemplate() =>
        $"{CommandTool.Quote(ToolProcess.DotnetHost)} {CommandTool.Quote(typeof(CompareCommand).Assembly.Location)} verify {{onnx}} {{vnnlib}} --results {{results}} --timeout {{timeout}}";

    static string ErrorLine(ToolRun run)
    {
        var line = run.Output.Split('\n').LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "";
        var exit = run.ExitCode is { } c ? $"exit code {c}" : "no exit code";
        return line.Length == 0 ? $"{exit}, no result file" : $"{exit}: {(line.Length > 160 ? line[..160] + "..." : line)}";
    }

    /// <summary>The list, filtered; every path must exist (found before an hour of work, not as one error row per tool).</summary>
    static IReadOnlyList<Instance> LoadList(string path, string? rootDir, string? family, int? limit)
    {
        if (Directory.Exists(path)) throw new CliException($"{path}: is a folder; give an instance list (.csv)");
        if (!File.Exists(path)) throw new CliException($"{path}: no such file");
        if (rootDir is not null && !Directory.Exists(rootDir)) throw new CliException($"--root {rootDir}: no such folder");
        IReadOnlyList<Instance> instances;
        try { instances = InstanceList.Load(path, rootDir); }
        catch (FormatException e) { throw new CliException(e.Message); }
        if (family is not null)
        {
            var families = instances.Select(i => i.Family).Distinct().Order(StringComparer.Ordinal).ToList();
            instances = instances.Where(i => i.Family == family).ToList();
            if (instances.Count == 0) throw new CliException($"--family {family}: no instance of that family in {path} (families: {string.Join(", ", families)})");
        }
        if (instances.Count == 0) throw new CliException($"{path}: no instances");
        if (limit is { } n) instances = instances.Take(n).ToList();
        var missing = instances.SelectMany(i => new[] { (i, i.Onnx), (i, i.Vnnlib) }).Where(x => !File.Exists(x.Item2)).ToList();
        if (missing.Count > 0)
            throw new CliException($"{path}:{missing[0].i.Line}: {missing[0].Item2}: no such file" + (missing.Count > 1 ? $" ({missing.Count} missing files in the list)" : ""));
        RunResultsFile.RequireDistinctKeys(instances, path, "compare");
        return instances;
    }
}

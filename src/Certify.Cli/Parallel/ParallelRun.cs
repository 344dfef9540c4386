using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Certify.Cli.Commands;
using Certify.Verification.Benchmarks;
using Spectre.Console;

namespace Certify.Cli.Parallel;

/// <summary>
/// <c>run --jobs N</c>: the list (after <c>--family</c>, <c>--limit</c>, <c>--shard</c> and, with <c>--resume</c>, the rows
/// already done) is written to a temporary list, and N worker processes each run one shard of it
/// (<c>certify run LIST --shard k/N --out worker-k.csv</c>, with every other option of the parent's command line and a
/// libtorch thread budget of cores / N, <see cref="ThreadBudget"/>). When they end, their rows are merged in the list's
/// order (<see cref="ShardMerge"/>, the same merge as <c>certify merge</c>) into the parent's <c>--out</c>, and the
/// summary and exit code are <c>run</c>'s own: so <c>--jobs N</c> writes what <c>--jobs 1</c> writes, only sooner.
/// <para>Worker processes rather than threads: the verifier's libtorch state, its garbage-collection discipline
/// (<see cref="ForegroundProgress"/>) and its deadlines are per process, and a crash costs one worker, not the run.</para>
/// <para>Interrupted (SIGINT, SIGTERM), the workers are asked to stop (they keep every finished row), the finished rows
/// go to <c>--out</c> and the run exits 130; <c>--resume</c> then runs the rest. A worker that fails (exit 2 or 3) ends
/// the run with its code and its message, after the other workers' rows have been kept the same way.</para>
/// <para>Killed with SIGKILL, the run takes its workers with it (<see cref="WorkerProcess"/>), but the rows they had
/// finished are only in their files in the temporary work folder (<c>certify-jobs-PID-*</c>), not in <c>--out</c>:
/// <c>--resume</c> runs those instances again. Rows reach <c>--out</c> in the list's order, so only at the end.</para>
/// </summary>
public static class ParallelRun
{
    /// <summary>What <c>run --json</c> needs to print its document: the list's path, each instance's limit (for rows
    /// resumed from <c>--out</c>) and the run's clock.</summary>
    public sealed record JsonRequest(string List, Func<Instance, double> TimeoutOf, System.Diagnostics.Stopwatch Clock);

    /// <summary>Most workers accepted by <c>--jobs</c> before the cores cap them.</summary>
    public const int MaxJobs = 1024;

    /// <summary>The <c>--jobs N</c> option of <c>run</c>.</summary>
    public static Option<int> JobsOption() => new Option<int>("--jobs")
    {
        Description = "Run the instances in N worker processes (each a `run --shard k/N`), each with cores/N libtorch threads, and merge their rows in the list's order. " +
                      "At most one worker per core. With --json, the document holds every worker's rows in the list's order. CERTIFY_THREADS=T (environment) gives a run T libtorch threads in all, divided among its workers (e.g. a cluster task's cores).",
        DefaultValueFactory = _ => 1,
    }.AtLeast(1);

    /// <summary>Options of the parent that its workers must not get: the parent already applied them, or sets them itself.</summary>
    static readonly HashSet<string> NotForwarded = ["--family", "--limit", "--root", "--shard", "--jobs", "--out", "--resume", "--json", "--vnncomp-csv"];

    /// <summary>
    /// Applies the thread budget of <see cref="ThreadBudget.Variable"/>, then, with <paramref name="jobs"/> &gt; 1, runs
    /// <paramref name="instances"/> in worker processes and returns run's exit code; returns null when this process is to
    /// run them itself (<c>--jobs 1</c>, or one core or one instance).
    /// </summary>
    /// <remarks><paramref name="vnncompPath"/> (<c>--vnncomp-csv</c>) is written here, from the merged rows in the list's
    /// order, and not by the workers: they would all write one file.</remarks>
    public static int? Jobs(ParseResult parse, int jobs, IReadOnlyList<Instance> instances,
                            string? outPath, bool resuming, JsonRequest? json, IAnsiConsole ui, string? vnncompPath = null)
    {
        // CERTIFY_THREADS, when set, is this run's whole budget (a cluster task's cores: a scheduler without CPU
        // affinity leaves ProcessorCount at the node's); --jobs divides it.
        int cores = ThreadBudget.Apply() ?? ThreadBudget.Cores;
        if (jobs <= 1) return null;
        if (jobs > MaxJobs) throw new CliException($"--jobs {jobs}: at most {MaxJobs}");

        using var results = outPath is null ? null : RunResultsFile.Open(outPath, resuming);
        if (results?.Note is { } note) Console.Error.WriteLine($"certify: {note}");
        var done = new List<(Instance Inst, string Result, double Seconds)>();
        var todo = instances;
        if (resuming)
        {
            foreach (var inst in instances)
                if (results!.Done.TryGetValue(RunResultsFile.Key(inst), out var d)) done.Add((inst, d.Result, d.Seconds));
            todo = instances.Where(i => !results!.Done.ContainsKey(RunResultsFile.Key(i))).ToList();
            ui.MarkupLine($"resuming: {done.Count} instance(s) already in {Markup.Escape(outPath!)}, {todo.Count} to run");
        }
        int workers = Math.Min(jobs, Math.Min(cores, todo.Count));
        if (workers < jobs)
            Console.Error.WriteLine($"certify: --jobs {jobs}: {workers} worker(s) ({cores} core(s){(System.Environment.GetEnvironmentVariable(ThreadBudget.Variable) is { Length: > 0 } ? " by " + ThreadBudget.Variable : "")}, {todo.Count} instance(s) to run)");
        if (workers <= 1 && !resuming) return null;   // this process runs them (an open --out is released first: `using` above)

        var dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"certify-jobs-{Environment.ProcessId}-{Guid.NewGuid():N}")).FullName;
        bool keep = false;
        try
        {
            var (rows, failure, interrupted, nodes) = workers == 0 ? ([], null, false, new()) : RunWorkers(parse, todo, workers, cores, dir, ui, json is not null);
            var byKey = todo.ToDictionary(RunResultsFile.Key);
            foreach (var r in rows)
            {
                var inst = byKey[r.Key];
                results?.Append(inst, r.Result, r.Seconds);
                done.Add((inst, r.Result, r.Seconds));
            }
            var order = instances.Select((inst, p) => (RunResultsFile.Key(inst), p)).ToDictionary(x => x.Item1, x => x.p);
            var inOrder = done.OrderBy(d => order[RunResultsFile.Key(d.Inst)]).ToList();
            if (vnncompPath is not null)
                OutputFiles.Write(vnncompPath, "--vnncomp-csv", () =>
                {
                    using var vnncomp = new VnncompResults(vnncompPath);
                    foreach (var d in inOrder) vnncomp.Append(d.Inst, d.Result, d.Seconds);
                });
            if (failure is not null)
            {
                keep = true;
                Console.Error.WriteLine($"certify: {failure.Value.Message}; the workers' logs are in {dir}");
                return failure.Value.Code;
            }
            if (interrupted)
            {
                Console.Error.WriteLine($"certify: interrupted: {rows.Count} row(s) finished" +
                                        (outPath is null ? " (no --out file: nothing kept)" : $" and in {outPath}; run the same command with --resume to finish the list"));
                return ExitCodes.Interrupted;
            }
            // The summary over the list's order, as a run in one process prints it.
            int code = RunCommand.Summarise(inOrder, ui);
            if (json is not null)
            {
                // The workers' own instance objects (reasons, counterexamples) in the list's order; a row resumed from
                // --out has only its word and time there, as in a run in one process.
                var objects = inOrder.Select(d => nodes.TryGetValue(RunResultsFile.Key(d.Inst), out var o) ? o
                    : ResultJson.Instance(new ResultJson.RunRow(d.Inst.Family, d.Inst.Network, d.Inst.Property, d.Result, "(from " + outPath + ")",
                                                                d.Seconds, json.TimeoutOf(d.Inst), d.Inst.Label, null, null, null))).ToList();
                Console.Write(ResultJson.Text(ResultJson.Run(json.List, objects, json.Clock.Elapsed.TotalSeconds, code)));
            }
            return code;
        }
        finally { if (!keep) Directory.Delete(dir, recursive: true); }
    }

    /// <summary>Starts the workers, shows their progress, and merges the rows they finished.</summary>
    /// <remarks>With <paramref name="json"/>, each worker runs with <c>--json</c> and its standard output (the document)
    /// goes to its log; the instance objects of the finished documents are returned by instance.</remarks>
    static (IReadOnlyList<ResultRow> Rows, (int Code, string Message)? Failure, bool Interrupted,
            Dictionary<(string, string, string), JsonObject> Nodes) RunWorkers(
        ParseResult parse, IReadOnlyList<Instance> todo, int workers, int cores, string dir, IAnsiConsole ui, bool json)
    {
        var list = Path.Combine(dir, "instances.csv");
        WriteList(list, todo);
        var forwarded = Forwarded(parse);
        int threads = ThreadBudget.PerWorker(workers, cores);
        var env = new Dictionary<string, string?>(ThreadBudget.Environment(threads)) { ["NO_COLOR"] = "1" };
        var outFiles = Enumerable.Range(1, workers).Select(k => Path.Combine(dir, $"worker-{k}.csv")).ToList();

        using var graceful = new CancellationTokenSource();
        using var forceful = new CancellationTokenSource();
        PosixSignalRegistration Trap(PosixSignal signal) => PosixSignalRegistration.Create(signal, ctx =>
        {
            if (graceful.IsCancellationRequested) return;          // second signal: default handling ends the process
            ctx.Cancel = true;
            graceful.Cancel();
            forceful.CancelAfter(TimeSpan.FromSeconds(30));        // a worker that does not stop between rows is killed
        });
        using var sigint = Trap(PosixSignal.SIGINT);
        using var sigterm = Trap(PosixSignal.SIGTERM);

        // Started here, on the run's own thread (see WorkerProcess on PR_SET_PDEATHSIG).
        var running = Enumerable.Range(1, workers).Select(k =>
        {
            var args = new List<string> { "run", list, "--shard", $"{k}/{workers}", "--out", outFiles[k - 1] };
            args.AddRange(forwarded);
            if (json) args.Add("--json");
            return WorkerProcess.Start(args, env, Path.Combine(dir, $"worker-{k}.log"), graceful.Token, forceful.Token);
        }).ToList();
        var all = Task.WhenAll(running);
        ForegroundProgress.Create(ui)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"{todo.Count} instances, {workers} workers x {threads} thread(s)", maxValue: todo.Count);
                while (!all.Wait(TimeSpan.FromMilliseconds(250)))
                {
                    task.Value = outFiles.Sum(f => Math.Max(0, LockedFileLines.Count(f) - 1));   // rows, without the header
                    ctx.Refresh();
                }
                task.Value = todo.Count;
                ctx.Refresh();
            });
        var exits = all.Result;

        // What the workers printed about single instances (a wrong answer, an error's reason) is worth the parent's output.
        for (int k = 1; k <= workers; k++)
        {
            var log = Path.Combine(dir, $"worker-{k}.log");
            if (File.Exists(log))
                foreach (var line in File.ReadLines(log).Where(l => l.StartsWith("WRONG ", StringComparison.Ordinal) || l.StartsWith("error ", StringComparison.Ordinal)))
                    ui.WriteLine(line);
        }
        var shards = outFiles.Where(File.Exists).Select(RunResultsList.Read).ToList();
        bool interrupted = graceful.IsCancellationRequested || exits.Any(e => e.Code == ExitCodes.Interrupted);
        (int, string)? failure = null;
        for (int k = 0; k < workers && failure is null; k++)
            if (exits[k].Code is not (ExitCodes.Ok or ExitCodes.Failure or ExitCodes.Interrupted))
                failure = (exits[k].Code is ExitCodes.BadInput ? ExitCodes.BadInput : ExitCodes.InternalError,
                           $"worker {k + 1}/{workers} exited with code {exits[k].Code}: {exits[k].LastError}");
        var rows = ShardMerge.ByList(shards, todo, list, allowMissing: interrupted || failure is not null);
        var nodes = new Dictionary<(string, string, string), JsonObject>();
        if (json && failure is null && !interrupted)
            for (int k = 1; k <= workers; k++)
                foreach (var o in WorkerDocument(Path.Combine(dir, $"worker-{k}.log"), k, workers))
                {
                    nodes[(Field(o, "family"), Field(o, "network"), Field(o, "property"))] = o;
                    if (o["correct"] is JsonValue c && c.TryGetValue<bool>(out var right) && !right)
                        ui.WriteLine($"WRONG {Field(o, "network")} {Field(o, "property")}: answered {Field(o, "verdict")}, label {Field(o, "label")}");
                    else if (Field(o, "verdict") == "error")
                        ui.WriteLine($"error {Field(o, "network")} {Field(o, "property")}: {Field(o, "reason")}");
                }
        return (rows, failure, interrupted && failure is null, nodes);
    }

    /// <summary>The instance objects of worker k's <c>run --json</c> document (its standard output).</summary>
    static IEnumerable<JsonObject> WorkerDocument(string path, int k, int workers)
    {
        JsonNode? doc;
        try { doc = JsonNode.Parse(File.ReadAllText(path)); }
        catch (Exception e) when (e is JsonException or IOException)
        {
            throw new CliException($"worker {k}/{workers}: its --json document ({path}) cannot be read: {e.Message}");
        }
        if (doc?["instances"] is not JsonArray rows)
            throw new CliException($"worker {k}/{workers}: its --json document ({path}) has no instances");
        foreach (var r in rows)
            if (r is JsonObject o) yield return (JsonObject)o.DeepClone();
    }

    static string Field(JsonObject o, string key) => ResultJson.Str(o, key) ?? "";

    /// <summary>
    /// The workers' list: the instances to run, with absolute paths, their own time limits (scaling and caps are applied
    /// by each worker from the forwarded options), families, labels and names (<see cref="Instance.Network"/>: an absolute
    /// path alone would give only the file name, and safenlp's medical/ and ruarobot/ instances would share theirs), so
    /// that a worker reads exactly these instances and its rows match them.
    /// </summary>
    static void WriteList(string path, IReadOnlyList<Instance> instances)
    {
        CsvLines.WriteAll(path, ["family", "onnx", "vnnlib", "timeout", "label", "network", "property"],
            instances.Select(i => new[] { i.Family, i.Onnx, i.Vnnlib, i.TimeoutSeconds.ToString("R", CultureInfo.InvariantCulture), i.Label ?? "", i.Network, i.Property }));
    }

    /// <summary>
    /// The options typed on the parent's command line, as they were typed, less <see cref="NotForwarded"/>: so a worker
    /// gets every setting (<c>--config</c>, <c>--timeout-scale</c>, <c>--method</c>, <c>--isolate</c>, options added to
    /// <c>run</c> later) without this class naming them.
    /// </summary>
    public static List<string> Forwarded(ParseResult parse)
    {
        var args = new List<string>();
        foreach (var child in parse.CommandResult.Children)
            if (child is OptionResult { Implicit: false, IdentifierToken: { } id } option && !NotForwarded.Contains(option.Option.Name))
            {
                args.Add(id.Value);
                args.AddRange(option.Tokens.Select(t => t.Value));
            }
        return args;
    }
}

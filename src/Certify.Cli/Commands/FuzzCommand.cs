using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Certify.Fuzzing;

namespace Certify.Cli.Commands;

/// <summary>
/// <c>certify fuzz --target vnnlib|onnx --seconds N</c>: coverage-guided fuzzing of the VNNLIB parser or the ONNX
/// importer (a benchmark, not a test: its numbers depend on the machine). Exits 1 when a crash, hang, memory blow-up or
/// process death was found, so a script notices; the inputs are saved under <c>--crashes</c>.
/// <para>The fuzzing runs in a child process that is restarted when it dies. Why: some inputs kill the process outright
/// (libtorch aborts on a few shape errors instead of raising them, and a stack overflow cannot be caught), and one such
/// input must not end a 30-minute campaign. The child mirrors every input it runs into a memory-mapped file; after a
/// death the parent saves that input as a <c>died</c> finding and starts a new child, which resumes from the corpus the
/// previous ones saved.</para>
/// </summary>
public sealed class FuzzCommand : ICliCommand
{
    public Command Build()
    {
        var target = new Option<string>("--target") { Description = "What to fuzz: vnnlib (the property parser) or onnx (the model importer, plus a forward pass of every accepted model).", Required = true }.OneOf("vnnlib", "onnx");
        var seconds = new Option<double>("--seconds") { Description = "How long to fuzz (default 60).", DefaultValueFactory = _ => 60 }.Seconds();
        var seed = new Option<int>("--seed") { Description = "Seed of the mutation choices (default 1).", DefaultValueFactory = _ => 1 }.AnyInteger();
        var crashes = new Option<string>("--crashes") { Description = "Folder for crashing inputs and their one-line summaries (default /tmp/certify-fuzz/<target>).", DefaultValueFactory = _ => "" };
        var timeout = new Option<double>("--input-timeout") { Description = "Seconds one input may run before it is reported as a hang (default 2).", DefaultValueFactory = _ => 2 }.Seconds();
        var seeds = new Option<string[]>("--seed-dir") { Description = "Folders searched for small seed files (*.vnnlib or *.onnx) besides the built-in seeds (default: examples and ../shared/bench, when present).", AllowMultipleArgumentsPerToken = true };
        var segment = new Option<bool>("--segment") { Description = "Internal: run one fuzzing process (the parent restarts it when it dies).", Hidden = true };
        var cmd = new Command("fuzz", "Coverage-guided fuzzing of the VNNLIB parser or the ONNX importer (SharpFuzz edge coverage, in-process mutation loop). Exit codes (specs/exit-codes.md): 0 nothing was found; 1 a crash, hang, memory blow-up or process death was found; 2 bad input; 3 internal error; 130 interrupted.")
        {
            target, seconds, seed, crashes, timeout, seeds, segment,
        };
        cmd.SetAction(parse =>
        {
            var name = parse.GetValue(target)!.ToLowerInvariant();
            var dir = parse.GetValue(crashes) is { Length: > 0 } d ? d : Path.Combine(Path.GetTempPath(), "certify-fuzz", name);
            OutputFiles.CheckFolder(dir, "--crashes");
            var given = parse.GetValue(seeds) ?? [];
            foreach (var f in given)
                if (!Directory.Exists(f)) throw new CliException($"--seed-dir {f}: no such folder");
            var s = new Settings(name, parse.GetValue(seconds), parse.GetValue(seed), dir, parse.GetValue(timeout), given);
            return parse.GetValue(segment) ? RunSegment(s) : Supervise(s);
        });
        return cmd;
    }

    sealed record Settings(string Target, double Seconds, int Seed, string Dir, double InputTimeout, string[] SeedDirs)
    {
        public string CorpusDir => Path.Combine(Dir, $".corpus-{Target}");
        public string StatsFile => Path.Combine(Dir, $".stats-{Target}.json");
        public string InFlightFile => Path.Combine(Dir, $".in-flight-{Target}");
        public string Extension => Target == "vnnlib" ? ".vnnlib" : ".onnx";
    }

    /// <summary>One fuzzing process: instruments, fuzzes for the time given, writes its stats file, prints its table.</summary>
    static int RunSegment(Settings s)
    {
        var folders = s.SeedDirs.Length > 0 ? s.SeedDirs : new[] { "examples", "../shared/bench" };
        TorchSharp.torch.set_num_threads(1);   // one core per fuzzer: the numbers then mean one core's throughput
        IFuzzTarget t = s.Target == "vnnlib" ? new VnnLibTarget(folders) : new OnnxTarget(folders);
        var core = InstrumentedCore.Shared;
        Console.Error.WriteLine($"certify fuzz: {core.InstrumentedTypes} types of Certify.Core instrumented, {core.GuardedCalls} matmul calls guarded, in {core.InstrumentationTime.TotalSeconds:F1} s");
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            var report = FuzzEngine.Run(t, new FuzzOptions
            {
                Seed = s.Seed,
                Duration = TimeSpan.FromSeconds(s.Seconds),
                InputTimeout = TimeSpan.FromSeconds(s.InputTimeout),
                CrashDirectory = s.Dir,
                CorpusDirectory = s.CorpusDir,
                // A stuck input's thread may go on allocating (one grew the process to 14 GB): end this process at the
                // first one, which frees everything, and let the parent start a fresh one.
                MaxAbandonedThreads = 1,
                StatsFile = s.StatsFile,
                Cancel = cancel.Token,
                Progress = p => Console.Error.WriteLine(
                    $"[{p.Elapsed.TotalSeconds,6:F0} s] execs {p.Executions,10:N0}  {p.ExecutionsPerSecond,6:N0}/s  corpus {p.Corpus,5}  edges {p.Edges,5}  paths {p.DistinctPaths,7:N0}  crashes {p.Crashes}  hangs {p.Hangs}  memory {p.MemoryFindings}"),
            });
            Console.WriteLine(FuzzReportText.Markdown(report));
            return report.Findings.Count > 0 ? ExitCodes.Failure : report.StoppedEarly == "interrupted" ? ExitCodes.Interrupted : ExitCodes.Ok;
        }
        finally { Console.CancelKeyPress -= onCancel; }
    }

    /// <summary>Runs segments until the time is up, restarting after each death, and prints the combined table.</summary>
    static int Supervise(Settings s)
    {
        if (Directory.Exists(s.CorpusDir)) Directory.Delete(s.CorpusDir, recursive: true);   // a campaign starts from the seeds
        foreach (var stale in new[] { s.StatsFile, s.InFlightFile }) if (File.Exists(stale)) File.Delete(stale);
        var clock = Stopwatch.StartNew();
        var total = new Totals();
        int segmentNo = 0;
        bool interrupted = false;
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; interrupted = true; };   // the child gets the signal too and stops
        Console.Error.WriteLine($"certify fuzz: {s.Target} for {s.Seconds:G} s; findings go to {s.Dir}");
        while (!interrupted)
        {
            double left = s.Seconds - clock.Elapsed.TotalSeconds;
            if (left < 1 || (segmentNo > 0 && left < 3)) break;
            var (code, last) = RunChild(s with { Seconds = left, Seed = s.Seed + segmentNo }, left);
            segmentNo++;
            if (File.Exists(s.StatsFile))
            {
                total.Add(JsonDocument.Parse(File.ReadAllText(s.StatsFile)).RootElement);
                File.Delete(s.StatsFile);
            }
            // A child that ended with time left stopped early (inputs hung and their threads were abandoned): start another.
            if (code is ExitCodes.Ok or ExitCodes.Failure) continue;
            if (code == ExitCodes.Interrupted) { interrupted = true; break; }
            if (code == ExitCodes.BadInput || code == ExitCodes.InternalError) throw new CliException($"the fuzzing process failed (exit {code}); see above");
            // The child died: keep the input it was running.
            total.Deaths++;
            var killer = ReadInFlight(s.InFlightFile);
            File.Delete(s.InFlightFile);
            var path = Path.Combine(s.Dir, $"{s.Target}-died-{total.Deaths:D3}{s.Extension}");
            if (killer is not null) File.WriteAllBytes(path, killer);
            File.WriteAllText(Path.ChangeExtension(path, ".txt"),
                $"the fuzzing process died (exit code {code}) while running this input: a native crash, an abort, a stack overflow, or killed for memory\n" +
                (killer is null ? "the input was not recorded\n" : $"input: {killer.Length} bytes; base64: {Convert.ToBase64String(killer)}\n"));
            // Deaths are grouped by the last fatal message the child printed (libtorch's "what():", .NET's "Stack overflow"), numbers left out.
            var why = last ?? $"exit code {code}, no message";
            var sig = "died:" + System.Text.RegularExpressions.Regex.Replace(why, "[0-9]+", "N");
            int known = total.Findings.FindIndex(f => f.Signature == sig);
            if (known < 0) total.Findings.Add(("died", sig, why, 1, killer is null ? "" : path));
            else
            {
                // Keep the smallest input per kind of death: deaths are not minimised (each try would cost a process).
                var k = total.Findings[known];
                bool smaller = killer is not null && (k.Path.Length == 0 || killer.Length < new FileInfo(k.Path).Length);
                total.Findings[known] = k with { Count = k.Count + 1, Path = smaller ? path : k.Path };
            }
            Console.Error.WriteLine($"certify fuzz: the fuzzing process died (exit {code}); input saved to {path}; restarting");
        }
        Console.WriteLine(total.Markdown(s.Target, clock.Elapsed, segmentNo));
        if (total.Findings.Count > 0) return ExitCodes.Failure;
        return interrupted ? ExitCodes.Interrupted : ExitCodes.Ok;
    }

    /// <summary>Runs one child; returns its exit code and the last fatal-looking line it wrote to standard error.</summary>
    static (int Code, string? LastFatal) RunChild(Settings s, double left)
    {
        var host = Environment.ProcessPath ?? "dotnet";
        var args = new List<string>();
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") args.Add(typeof(FuzzCommand).Assembly.Location);
        args.AddRange(["fuzz", "--segment", "--target", s.Target, "--seconds", s.Seconds.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                       "--seed", s.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--crashes", s.Dir,
                       "--input-timeout", s.InputTimeout.ToString("R", System.Globalization.CultureInfo.InvariantCulture)]);
        if (s.SeedDirs.Length > 0) { args.Add("--seed-dir"); args.AddRange(s.SeedDirs); }
        string? fatal = null;
        void OnLine(string line)
        {
            var t = line.Trim();
            if (t.StartsWith("what():", StringComparison.Ordinal)) fatal = "libtorch aborted: " + t["what():".Length..].Trim();
            else if (t.StartsWith("Stack overflow", StringComparison.Ordinal)) fatal = "stack overflow";
            else if (t.StartsWith("Fatal error", StringComparison.Ordinal) || t.StartsWith("Unhandled exception", StringComparison.Ordinal)) fatal ??= t;
            // libtorch's native stack frames are many lines of noise; everything else is the child's progress.
            if (!t.StartsWith("frame #", StringComparison.Ordinal) && !t.StartsWith("Exception raised from", StringComparison.Ordinal)) Console.Error.WriteLine(line);
        }
        // The one tool runner; the child's own table on standard output is dropped (the parent prints the combined one).
        // Startup, a hang's grace period and a minimisation can take the child past its time: allow for them; past that
        // it is killed with its process tree, and counts as a death (exit 137, as a shell reports SIGKILL).
        Certify.Verification.Benchmarks.ToolOutcome o;
        try
        {
            o = Certify.Verification.Benchmarks.ToolProcess.Run(new Certify.Verification.Benchmarks.ToolCommand(host, args)
            {
                Timeout = TimeSpan.FromSeconds(left + 60 + 15 * s.InputTimeout), OnStandardErrorLine = OnLine, MaxCapturedChars = 1 << 16,
            });
        }
        catch (System.ComponentModel.Win32Exception e) { throw new CliException($"could not start the fuzzing process ({e.Message})"); }
        return (o.ExitCode ?? 137, fatal);
    }

    static byte[]? ReadInFlight(string path)
    {
        if (!File.Exists(path)) return null;
        var b = File.ReadAllBytes(path);
        if (b.Length < 4) return null;
        int n = BitConverter.ToInt32(b, 0);
        return n == -1 ? [] : n > 0 && n <= b.Length - 4 ? b.AsSpan(4, n).ToArray() : null;
    }

    /// <summary>Counters summed over segments; edges and paths are the largest any segment reached (each restarted segment re-runs the saved corpus, so it starts at the coverage already found).</summary>
    sealed class Totals
    {
        public long Executions, Crashes, Hangs, Memory, Accepted, Rejected;
        public int Edges, Paths, Corpus, Seeds, Types, Deaths;
        public readonly Dictionary<string, long> Outcomes = new();
        public readonly List<(string Kind, string Signature, string Summary, long Count, string Path)> Findings = new();

        public void Add(JsonElement e)
        {
            Executions += e.GetProperty("Executions").GetInt64();
            Crashes += e.GetProperty("Crashes").GetInt64();
            Hangs += e.GetProperty("Hangs").GetInt64();
            Memory += e.GetProperty("MemoryFindings").GetInt64();
            Accepted += e.GetProperty("Accepted").GetInt64();
            Rejected += e.GetProperty("Rejected").GetInt64();
            Edges = Math.Max(Edges, e.GetProperty("Edges").GetInt32());
            Paths = Math.Max(Paths, e.GetProperty("DistinctPaths").GetInt32());
            Corpus = e.GetProperty("Corpus").GetInt32();
            Seeds = Math.Max(Seeds, e.GetProperty("Seeds").GetInt32());
            Types = Math.Max(Types, e.GetProperty("InstrumentedTypes").GetInt32());
            foreach (var o in e.GetProperty("Outcomes").EnumerateObject()) Outcomes[o.Name] = Outcomes.GetValueOrDefault(o.Name) + o.Value.GetInt64();
            foreach (var f in e.GetProperty("Findings").EnumerateArray())
            {
                var sig = f.GetProperty("Signature").GetString()!;
                if (sig.StartsWith("died:", StringComparison.Ordinal)) continue;   // the parent reports deaths itself
                int i = Findings.FindIndex(x => x.Signature == sig);
                var item = (f.GetProperty("Kind").GetString()!, sig, f.GetProperty("Summary").GetString()!, f.GetProperty("Count").GetInt64(), f.GetProperty("InputPath").GetString() ?? "");
                if (i < 0) Findings.Add(item); else Findings[i] = Findings[i] with { Count = Findings[i].Count + item.Item4 };
            }
        }

        public string Markdown(string target, TimeSpan elapsed, int segments)
        {
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            var sb = new System.Text.StringBuilder();
            sb.AppendLine("| target | seconds | executions | exec/s | edges | distinct paths | corpus (seeds) | crashes | hangs | memory | process deaths |");
            sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            sb.AppendLine(string.Format(inv, "| {0} | {1:F0} | {2:N0} | {3:N0} | {4:N0} | {5:N0} | {6:N0} ({7}) | {8} | {9} | {10} | {11} |",
                target, elapsed.TotalSeconds, Executions, Executions / Math.Max(1e-9, elapsed.TotalSeconds), Edges, Paths, Corpus, Seeds, Crashes, Hangs, Memory, Deaths));
            sb.AppendLine();
            sb.AppendLine("Outcomes: " + string.Join(", ", Outcomes.OrderByDescending(kv => kv.Value).Select(kv => string.Format(inv, "{0} {1:N0}", kv.Key, kv.Value))) +
                          string.Format(inv, ". Instrumented types: {0}. Fuzzing processes: {1} ({2} restarted after a death; edges and paths are the most one process reached, the other counts are sums).", Types, segments, Deaths));
            if (Findings.Count == 0) sb.AppendLine("No crash, hang, memory finding or process death.");
            foreach (var f in Findings)
                sb.AppendLine(string.Format(inv, "- {0} ×{1:N0}: {2} ({3}) {4}{5}", f.Kind, f.Count, f.Summary, f.Signature, f.Path,
                    File.Exists(f.Path) ? $" ({new FileInfo(f.Path).Length:N0} bytes)" : ""));
            return sb.ToString();
        }
    }
}

using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;

namespace Certify.Fuzzing;

/// <summary>Settings of one fuzzing run. The run stops at the first of <see cref="Duration"/> and <see cref="MaxExecutions"/>.</summary>
public sealed class FuzzOptions
{
    /// <summary>Seed of the mutation choices (and of the targets' random inputs): a run with a fixed execution budget is reproducible.</summary>
    public int Seed { get; init; } = 1;
    /// <summary>Wall-clock budget, or null for none.</summary>
    public TimeSpan? Duration { get; init; }
    /// <summary>Execution budget (seeds included), or null for none. Tests use this rather than a duration: it does not depend on the machine's speed.</summary>
    public long? MaxExecutions { get; init; }
    /// <summary>An input still running after this long is reported as a hang.</summary>
    public TimeSpan InputTimeout { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Further time a hung input is given to finish before its thread is abandoned (then it was only slow: still reported).</summary>
    public TimeSpan HangGrace { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Stack of the thread that runs inputs.</summary>
    public int StackBytes { get; init; } = 16 << 20;
    /// <summary>Managed bytes one input may allocate before it is reported as a memory finding.</summary>
    public long AllocationLimitBytes { get; init; } = 1L << 30;
    /// <summary>Process working set above which the input then running is reported as a memory finding.</summary>
    public long WorkingSetLimitBytes { get; init; } = 4L << 30;
    /// <summary>Folder for crashing inputs and their summaries (created when missing).</summary>
    public required string CrashDirectory { get; init; }
    /// <summary>Shrink a crashing input before saving it (bounded by <see cref="MinimizeExecutions"/>).</summary>
    public bool Minimize { get; init; } = true;
    /// <summary>Most executions spent shrinking one crashing input.</summary>
    public int MinimizeExecutions { get; init; } = 2000;
    /// <summary>Abandoned (stuck) threads after which the run stops: each one may still be using a core.</summary>
    public int MaxAbandonedThreads { get; init; } = 3;
    /// <summary>Called with the current counters at most once per <see cref="ProgressInterval"/>.</summary>
    public Action<FuzzStats>? Progress { get; init; }
    /// <summary>Least time between two progress reports.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>
    /// Folder where corpus entries are kept across runs: read as extra seeds at the start, and every input added to the
    /// corpus is written there. Why: an input that kills the process (a native crash no handler catches) ends the run,
    /// and <c>certify fuzz</c> restarts it; the restarted run begins from the coverage already reached.
    /// </summary>
    public string? CorpusDirectory { get; init; }
    /// <summary>File rewritten with the counters and findings at every progress tick and at the end (what a supervisor reads when the run dies).</summary>
    public string? StatsFile { get; init; }
    /// <summary>Stops the run early (Ctrl-C).</summary>
    public CancellationToken Cancel { get; init; }
}

/// <summary>Counters of a run, as reported in progress lines and in the final report.</summary>
/// <param name="Executions">Inputs run (seeds and mutants; not the executions spent minimising crashes).</param>
/// <param name="Elapsed">Wall-clock time since the first seed ran.</param>
/// <param name="Edges">Distinct edge slots of the trace map hit by any input (AFL's "edges"; slots can collide).</param>
/// <param name="DistinctPaths">Distinct coverage signatures: hashes of the set of (edge slot, hit-count bucket) pairs of one execution.</param>
/// <param name="Corpus">Inputs kept because they reached a new edge or a new hit-count bucket of an edge (seeds included).</param>
/// <param name="Crashes">Executions that threw an undocumented exception or broke a checked property.</param>
/// <param name="Hangs">Executions that ran past the per-input time limit.</param>
/// <param name="MemoryFindings">Executions that allocated past the limit or grew the process past the working-set limit.</param>
/// <param name="Accepted">Executions whose input was accepted (parsed or imported and run).</param>
/// <param name="Rejected">Executions whose input was refused with the documented exception.</param>
public sealed record FuzzStats(long Executions, TimeSpan Elapsed, int Edges, int DistinctPaths, int Corpus, long Crashes, long Hangs, long MemoryFindings, long Accepted, long Rejected)
{
    /// <summary>Executions per second of wall-clock time.</summary>
    public double ExecutionsPerSecond => Elapsed.TotalSeconds > 0 ? Executions / Elapsed.TotalSeconds : 0;
}

/// <summary>One distinct problem found (inputs with the same <see cref="Signature"/> are counted, the first one saved).</summary>
/// <param name="Kind"><c>crash</c>, <c>hang</c>, <c>memory</c>, or <c>died</c> (the previous run died while running this input).</param>
/// <param name="Signature">What identifies the problem: kind, exception type and the innermost Certify frame.</param>
/// <param name="Summary">One line: the exception's type and first message line, or what was exceeded.</param>
/// <param name="Detail">The exception with its stack trace, where there is one.</param>
/// <param name="Input">The saved (minimised) input.</param>
/// <param name="OriginalBytes">Size of the input as first found.</param>
public sealed record FuzzFinding(string Kind, string Signature, string Summary, string Detail, byte[] Input, int OriginalBytes)
{
    /// <summary>How many executions hit this problem.</summary>
    public long Count { get; internal set; } = 1;
    /// <summary>Where the input was saved.</summary>
    public string? InputPath { get; internal set; }
}

/// <summary>What a run found.</summary>
public sealed record FuzzReport(string Target, FuzzStats Stats, int Seeds, int InstrumentedTypes, IReadOnlyList<FuzzFinding> Findings, string? StoppedEarly, IReadOnlyDictionary<string, long> Outcomes);

/// <summary>
/// An in-process, coverage-guided fuzzer: runs seeds, then mutants of corpus entries, and keeps every mutant that
/// reaches an edge (or an edge's hit-count bucket) no input reached before, as AFL does. Mutations are half the target's
/// structure-aware ones, half byte-level havoc. Each input runs on a <see cref="FuzzWorker"/> with a bounded stack and a
/// time limit; crashes are deduplicated by signature, minimised and saved with their one-line summary.
/// </summary>
public static class FuzzEngine
{
    /// <summary>Runs <paramref name="target"/> under <paramref name="options"/> and returns what was found.</summary>
    public static FuzzReport Run(IFuzzTarget target, FuzzOptions options)
    {
        if (options.Duration is null && options.MaxExecutions is null) throw new ArgumentException("a fuzzing run needs a duration or an execution budget");
        Directory.CreateDirectory(options.CrashDirectory);
        var run = new Session(target, options);
        try { return run.Go(); }
        finally { run.Dispose(); }
    }

    sealed class Session : IDisposable
    {
        readonly IFuzzTarget _t;
        readonly FuzzOptions _o;
        readonly Random _rng;
        readonly byte[] _virgin = new byte[InstrumentedCore.MapSize];   // per slot: the hit-count buckets seen so far
        readonly HashSet<ulong> _paths = new();
        readonly List<byte[]> _corpus = new();
        readonly Dictionary<string, FuzzFinding> _findings = new();
        readonly List<FuzzFinding> _ordered = new();
        readonly Dictionary<string, long> _outcomes = new();
        readonly InFlightRecord _inFlight;
        readonly Stopwatch _clock = new();
        readonly Stopwatch _sinceProgress = new();
        FuzzWorker _worker;
        int _edges, _abandoned;
        long _execs, _crashes, _hangs, _memory, _accepted, _rejected;
        string? _stop;

        public Session(IFuzzTarget target, FuzzOptions options)
        {
            _t = target;
            _o = options;
            _rng = new Random(options.Seed);
            _worker = new FuzzWorker(target, options.StackBytes);
            _inFlight = new InFlightRecord(Path.Combine(options.CrashDirectory, $".in-flight-{target.Name}"), target.MaxInputBytes);
        }

        public FuzzReport Go()
        {
            _clock.Start();
            _sinceProgress.Start();
            if (_inFlight.Orphan is { } orphan)
                Record(new FuzzFinding("died", $"died:{OrphanTag(orphan)}", "the previous fuzz run of this target ended while running this input (a stack overflow, a native crash, or the process was killed)", "", orphan, orphan.Length));
            var seeds = _t.Seeds().ToList();
            int targetSeeds = seeds.Count;   // reported: the corpus saved by earlier runs is not seeds
            if (_o.CorpusDirectory is { } cdir)
            {
                Directory.CreateDirectory(cdir);
                foreach (var f in Directory.EnumerateFiles(cdir).Order(StringComparer.Ordinal)) seeds.Add(File.ReadAllBytes(f));
                _kept = Directory.EnumerateFiles(cdir).Count();
            }
            foreach (var s in seeds)
            {
                if (Done()) break;
                var r = Execute(s, trackCoverage: true);
                if (r.Outcome is Outcome.Ok) _corpus.Add(s);   // every working seed is kept, new coverage or not
            }
            if (_corpus.Count == 0) _corpus.Add([]);            // every seed crashed: mutate from nothing
            while (!Done())
            {
                var parent = _corpus[PickParent()];
                var child = (_rng.Next(2) == 0 ? _t.Mutate(parent, _corpus, _rng) : null)
                            ?? ByteMutator.Havoc(parent, _corpus, _t.Dictionary, _rng, _t.MaxInputBytes);
                if (child.Length > _t.MaxInputBytes) child = child[.._t.MaxInputBytes];
                var r = Execute(child, trackCoverage: true);
                if (r.Outcome is Outcome.Ok && r.NewCoverage) Keep(child);
                MaybeProgress();
            }
            _o.Progress?.Invoke(Stats());
            var report = new FuzzReport(_t.Name, Stats(), targetSeeds, (_t.Coverage as InstrumentedCore)?.InstrumentedTypes ?? 0, _ordered, _stop,
                new Dictionary<string, long>(_outcomes));
            WriteStats(report);
            return report;
        }

        int _kept;

        void Keep(byte[] input)
        {
            _corpus.Add(input);
            if (_o.CorpusDirectory is { } dir) File.WriteAllBytes(Path.Combine(dir, $"{_t.Name}-{Environment.ProcessId}-{_kept++:D6}{_t.Extension}"), input);
        }

        void WriteStats(FuzzReport? report = null)
        {
            if (_o.StatsFile is not { } path) return;
            report ??= new FuzzReport(_t.Name, Stats(), 0, 0, _ordered, _stop, new Dictionary<string, long>(_outcomes));
            var tmp = path + ".tmp";
            File.WriteAllText(tmp, FuzzReportText.Json(report));
            File.Move(tmp, path, overwrite: true);
        }

        /// <summary>Deaths are told apart by their input's hash: each killing input is kept (they may be different bugs).</summary>
        static string OrphanTag(byte[] input) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(input))[..12];

        /// <summary>Newer entries a little more often: they are the frontier of the coverage found so far.</summary>
        int PickParent() => _rng.Next(3) == 0 ? _corpus.Count - 1 - _rng.Next(Math.Min(_corpus.Count, 16)) : _rng.Next(_corpus.Count);

        bool Done()
        {
            if (_stop is not null) return true;
            if (_o.Cancel.IsCancellationRequested) { _stop = "interrupted"; return true; }
            if (_o.MaxExecutions is { } max && _execs >= max) return true;
            if (_o.Duration is { } d && _clock.Elapsed >= d) return true;
            return false;
        }

        void MaybeProgress()
        {
            if ((_o.Progress is null && _o.StatsFile is null) || _sinceProgress.Elapsed < _o.ProgressInterval) return;
            _sinceProgress.Restart();
            _o.Progress?.Invoke(Stats());
            WriteStats();
        }

        FuzzStats Stats() => new(_execs, _clock.Elapsed, _edges, _paths.Count, _corpus.Count, _crashes, _hangs, _memory, _accepted, _rejected);

        enum Outcome { Ok, Crash, Hang, Memory }

        readonly record struct Result(Outcome Outcome, bool NewCoverage, string Signature);

        /// <summary>Runs one input, classifies what happened and records any finding.</summary>
        Result Execute(byte[] input, bool trackCoverage, bool minimising = false)
        {
            if (!minimising) _execs++;
            _t.Coverage.Reset();
            _inFlight.Begin(input);
            var r = RunOnWorker(input, out var finding);
            _inFlight.End();
            if (minimising) return r;
            switch (r.Outcome)
            {
                case Outcome.Ok:
                    _outcomes[_worker.Label!] = _outcomes.GetValueOrDefault(_worker.Label!) + 1;
                    if (_worker.Label == "rejected") _rejected++; else _accepted++;
                    return r with { NewCoverage = trackCoverage && Classify() };
                case Outcome.Crash: _crashes++; break;
                case Outcome.Hang: _hangs++; break;
                case Outcome.Memory: _memory++; break;
            }
            if (finding is not null)
            {
                bool first = Record(finding);
                if (first && finding.Kind == "crash" && _o.Minimize) Shrink(finding);
                if (first) Save(finding);
            }
            return r;
        }

        Result RunOnWorker(byte[] input, out FuzzFinding? finding)
        {
            finding = null;
            var w = _worker;
            w.Start(input);
            var sw = Stopwatch.StartNew();
            bool memoryHit = false;
            // Fast inputs return within the first slice; slow ones are watched for memory growth while they run.
            var slice = TimeSpan.FromMilliseconds(100);
            while (!w.Wait(sw.Elapsed < _o.InputTimeout ? Min(slice, _o.InputTimeout - sw.Elapsed) : TimeSpan.Zero))
            {
                if (!memoryHit && Environment.WorkingSet > _o.WorkingSetLimitBytes) memoryHit = true;
                if (sw.Elapsed >= _o.InputTimeout) break;
            }
            bool finished = w.Wait(TimeSpan.Zero);
            if (!finished)
            {
                // A hang. Give it the grace period: if it then ends it was only slow (still a finding), else abandon its thread.
                // Watched for memory meanwhile: a 533-byte model found here grew the process to 14 GB in a minute.
                var graceEnd = sw.Elapsed + _o.HangGrace;
                while (!(finished = w.Wait(Min(slice, Max(TimeSpan.Zero, graceEnd - sw.Elapsed)))) && sw.Elapsed < graceEnd)
                    if (Environment.WorkingSet > _o.WorkingSetLimitBytes) { memoryHit = true; break; }
                var took = sw.Elapsed;
                string summary = finished
                    ? $"ran {took.TotalSeconds:F1} s, past the {_o.InputTimeout.TotalSeconds:G} s limit per input"
                    : $"did not finish within {took.TotalSeconds:F1} s (limit {_o.InputTimeout.TotalSeconds:G} s per input); its thread was abandoned" +
                      (memoryHit ? $"; the process's working set passed {Mb(_o.WorkingSetLimitBytes)} meanwhile" : "");
                finding = new FuzzFinding("hang", finished ? "hang:slow" : "hang:stuck", summary, "", input, input.Length);
                if (!finished)
                {
                    w.Abandon();
                    _worker = new FuzzWorker(_t, _o.StackBytes);
                    if (++_abandoned >= _o.MaxAbandonedThreads) _stop = $"{_abandoned} inputs hung and their threads were abandoned";
                }
                return new Result(Outcome.Hang, false, finding.Signature);
            }
            if (memoryHit || w.Allocated > _o.AllocationLimitBytes)
            {
                var what = memoryHit ? $"the process's working set passed {Mb(_o.WorkingSetLimitBytes)} while this input ran"
                                     : $"this input allocated {Mb(w.Allocated)} of managed memory (limit {Mb(_o.AllocationLimitBytes)})";
                finding = new FuzzFinding("memory", "memory", what, "", input, input.Length);
                return new Result(Outcome.Memory, false, finding.Signature);
            }
            if (w.Error is { } e)
            {
                var sig = Signature(e);
                finding = new FuzzFinding("crash", sig, $"{e.GetType().FullName}: {FirstLine(e.Message)}", e.ToString(), input, input.Length);
                return new Result(Outcome.Crash, false, sig);
            }
            return new Result(Outcome.Ok, false, "");
        }

        static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
        static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
        static string Mb(long bytes) => $"{bytes / (double)(1 << 20):F0} MiB";

        /// <summary>
        /// Folds the trace map into the run's coverage: true when some slot has a hit-count bucket never seen before (a
        /// new edge, or an edge taken a different number of times: a loop running longer). Also counts the execution's
        /// signature, the set of (slot, bucket) pairs, towards <see cref="FuzzStats.DistinctPaths"/>.
        /// </summary>
        bool Classify()
        {
            var map = _t.Coverage.Counts;
            var words = MemoryMarshal.Cast<byte, ulong>(map);
            bool fresh = false;
            ulong hash = 14695981039346656037UL;
            int hit = 0;
            for (int w = 0; w < words.Length; w++)
            {
                if (words[w] == 0) continue;
                for (int b = 0; b < 8; b++)
                {
                    int i = w * 8 + b;
                    byte c = map[i];
                    if (c == 0) continue;
                    hit++;
                    byte bucket = Bucket(c);
                    hash = (hash ^ (ulong)((i << 8) | bucket)) * 1099511628211UL;
                    byte seen = _virgin[i];
                    if ((bucket & ~seen) != 0)
                    {
                        if (seen == 0) _edges++;
                        _virgin[i] = (byte)(seen | bucket);
                        fresh = true;
                    }
                }
            }
            if (hit > 0) _paths.Add(hash);
            return fresh;
        }

        /// <summary>AFL's hit-count classes: 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+, one bit each.</summary>
        static byte Bucket(byte c) => c switch
        {
            1 => 1, 2 => 2, 3 => 4, <= 7 => 8, <= 15 => 16, <= 31 => 32, <= 127 => 64, _ => 128,
        };

        /// <summary>Exception type and the innermost frame in Certify's code (or the innermost frame at all).</summary>
        static string Signature(Exception e)
        {
            var frames = new StackTrace(e, false).GetFrames();
            var inner = frames.Select(f => f.GetMethod()).FirstOrDefault(m => m?.DeclaringType?.FullName is { } t && t.StartsWith("Certify.", StringComparison.Ordinal) && !t.StartsWith("Certify.Fuzzing.", StringComparison.Ordinal))
                        ?? frames.FirstOrDefault()?.GetMethod();
            var where = inner is null ? "?" : $"{inner.DeclaringType?.FullName}.{inner.Name}";
            return $"crash:{e.GetType().FullName} at {where}";
        }

        static string FirstLine(string s) => s.Split('\n')[0].TrimEnd('\r');

        /// <summary>Records a finding; true when its signature is new.</summary>
        bool Record(FuzzFinding f)
        {
            if (_findings.TryGetValue(f.Signature, out var known)) { known.Count++; return false; }
            _findings[f.Signature] = f;
            _ordered.Add(f);
            if (f.Kind == "died") Save(f);
            return true;
        }

        /// <summary>
        /// Deletes ever smaller chunks of a crashing input while it still crashes with the same signature (a simple
        /// delta debugging), within <see cref="FuzzOptions.MinimizeExecutions"/> executions.
        /// </summary>
        void Shrink(FuzzFinding f)
        {
            var best = f.Input;
            int budget = _o.MinimizeExecutions;
            // Structure-aware reductions first (greedy: restart from the first one after each success).
            for (bool progress = true; progress && budget > 0 && _stop is null;)
            {
                progress = false;
                foreach (var candidate in _t.Reductions(best))
                {
                    if (budget-- <= 0) break;
                    var r = Execute(candidate, trackCoverage: false, minimising: true);
                    if (r.Outcome is Outcome.Crash && r.Signature == f.Signature && candidate.Length < best.Length) { best = candidate; progress = true; break; }
                }
            }
            for (int chunk = Math.Max(1, best.Length / 2); chunk >= 1 && budget > 0; chunk /= 2)
            {
                for (int at = 0; at < best.Length && budget > 0;)
                {
                    int n = Math.Min(chunk, best.Length - at);
                    var candidate = new byte[best.Length - n];
                    best.AsSpan(0, at).CopyTo(candidate);
                    best.AsSpan(at + n).CopyTo(candidate.AsSpan(at));
                    budget--;
                    var r = Execute(candidate, trackCoverage: false, minimising: true);
                    if (r.Outcome is Outcome.Crash && r.Signature == f.Signature) best = candidate;
                    else at += n;
                    if (_stop is not null) break;
                }
                if (chunk == 1) break;
            }
            _findings[f.Signature] = f with { Input = best, Count = f.Count };
            _ordered[_ordered.IndexOf(f)] = _findings[f.Signature];
        }

        void Save(FuzzFinding f)
        {
            f = _findings[f.Signature];
            // Named by the signature's hash, so that runs writing to the same folder keep each other's files.
            var tag = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(f.Signature)))[..10].ToLowerInvariant();
            var stem = Path.Combine(_o.CrashDirectory, $"{_t.Name}-{f.Kind}-{tag}");
            // A file left by an earlier run for the same signature is kept when it is smaller (the better reproducer).
            if (File.Exists(stem + _t.Extension) && new FileInfo(stem + _t.Extension).Length <= f.Input.Length) { f.InputPath = stem + _t.Extension; return; }
            File.WriteAllBytes(stem + _t.Extension, f.Input);
            var text = new StringBuilder()
                .AppendLine(f.Summary)
                .AppendLine($"signature: {f.Signature}")
                .AppendLine($"input: {f.Input.Length} bytes (found at {f.OriginalBytes} bytes); base64: {Convert.ToBase64String(f.Input)}")
                .AppendLine(f.Detail)
                .ToString();
            File.WriteAllText(stem + ".txt", text);
            f.InputPath = stem + _t.Extension;
        }

        public void Dispose()
        {
            _worker.Stop();
            _inFlight.Dispose();
        }
    }
}

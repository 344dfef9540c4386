using System.Globalization;
using Certify.Spec;
using Certify.Verification.Benchmarks;

namespace Certify.Soundness;

/// <summary>How a verifier's answer on one instance is judged.</summary>
public enum Classification
{
    /// <summary>sat with a counterexample that reproduces in ONNX Runtime, or unsat on a control the generator proved.</summary>
    Correct,
    /// <summary>unknown or timeout: nothing found, nothing claimed.</summary>
    Missed,
    /// <summary>unsat on an instance with a planted counterexample: a wrong proof.</summary>
    Unsound,
    /// <summary>sat without a counterexample, or with one that does not reproduce in ONNX Runtime (outside the box or safe output).</summary>
    InvalidCounterexample,
    /// <summary>The tool failed: error status, no or unreadable result file.</summary>
    Error,
    /// <summary>unsat on an instance whose truth is not known (an unproven control or an instance without manifest entry).</summary>
    Unjudged,
    /// <summary>A reproducing counterexample on a control the generator's prover had proved: the benchmark label is wrong.</summary>
    ControlLabelRefuted,
}

/// <summary>The judgement of one instance.</summary>
public sealed record InstanceOutcome(string Vnnlib, string Onnx, string Kind, string Expected, ResultStatus? Status,
    Classification Class, double Seconds, string Detail)
{
    /// <summary>True for the answers that make a run fail: unsound proofs, bad counterexamples and refuted labels.</summary>
    public bool IsWrong => Class is Classification.Unsound or Classification.InvalidCounterexample or Classification.ControlLabelRefuted;
}

/// <summary>Per-class counts over a harness run.</summary>
public sealed record HarnessSummary(IReadOnlyList<InstanceOutcome> Outcomes)
{
    public int Count(Classification c) => Outcomes.Count(o => o.Class == c);
    /// <summary>Planted counterexamples (or other real ones) the tool found with a reproducing counterexample.</summary>
    public int Found => Outcomes.Count(o => o.Class == Classification.Correct && o.Status == ResultStatus.Sat);
    public int Planted => Outcomes.Count(o => o.Kind == BenchmarkManifest.Planted);
    public bool AnyWrong => Outcomes.Any(o => o.IsWrong);
    /// <summary>True when the tool failed on some instance (crash, no or unreadable result file): that instance was not tested.</summary>
    public bool AnyError => Outcomes.Any(o => o.Class == Classification.Error);
    /// <summary>
    /// True when the audit must fail: a wrong answer, or an instance the tool could not answer at all. A tool that crashed
    /// on every instance once passed the audit (exit 0), since crashing is never unsound.
    /// </summary>
    public bool Failed => AnyWrong || AnyError;

    /// <summary>True when the tool answered no instance at all (every one an error): it was not tested anywhere.</summary>
    public bool OnlyErrors => Outcomes.Count > 0 && Outcomes.All(o => o.Class == Classification.Error);

    /// <summary>Points per correct answer (a reproducing counterexample, or unsat on a certified control).</summary>
    public const int CorrectPoints = 1;
    /// <summary>Points per error or crash: an instance the tool could not answer counts against it, not as a miss.</summary>
    public const int ErrorPoints = -1;
    /// <summary>Points per wrong answer (UNSOUND, invalid counterexample, refuted label).</summary>
    public const int WrongPoints = -10;

    /// <summary>
    /// The tool's score: <see cref="CorrectPoints"/> per correct answer, <see cref="ErrorPoints"/> per error or crash,
    /// <see cref="WrongPoints"/> per wrong answer, 0 for missed and unjudged. A tool that crashes everywhere scores below
    /// one that answers unknown everywhere, which is the point (issue 16): crashing is not a safe way to stay sound.
    /// </summary>
    public int Score => CorrectPoints * Count(Classification.Correct) + ErrorPoints * Count(Classification.Error)
                        + WrongPoints * Outcomes.Count(o => o.IsWrong);
}

/// <summary>The per-tool table of a harness run over several tools (markdown, for benchmarks/soundness/ reports).</summary>
public static class HarnessReport
{
    /// <summary>One markdown table: a row per tool with every judgement's count and the score.</summary>
    public static string Markdown(IReadOnlyList<(string Tool, HarnessSummary Summary)> runs)
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine("| tool | instances | found (sat) | proved (unsat) | missed | errors | UNSOUND | invalid cex | refuted labels | unjudged | score |");
        sb.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var (tool, s) in runs)
        {
            int proved = s.Outcomes.Count(o => o.Class == Classification.Correct && o.Status == ResultStatus.Unsat);
            sb.AppendLine($"| {tool.Replace("|", "\\|")} | {s.Outcomes.Count} | {s.Found} | {proved} | {s.Count(Classification.Missed)} | {s.Count(Classification.Error)} | " +
                          $"{s.Count(Classification.Unsound)} | {s.Count(Classification.InvalidCounterexample)} | {s.Count(Classification.ControlLabelRefuted)} | {s.Count(Classification.Unjudged)} | {s.Score} |");
        }
        sb.AppendLine();
        sb.AppendLine($"Score: {HarnessSummary.CorrectPoints:+0;-0} per correct answer, {HarnessSummary.ErrorPoints:+0;-0} per error or crash, {HarnessSummary.WrongPoints:+0;-0} per wrong answer, 0 per miss.");
        return sb.ToString();
    }
}

/// <summary>
/// Runs a verifier on every instance of a benchmark folder (VNN-COMP layout, optionally with the private
/// <c>counterexamples/manifest.csv</c> of a generated soundness benchmark) and judges each answer: a sat answer must
/// carry a counterexample that reproduces when the ONNX file runs in ONNX Runtime, checked by <see cref="SatCheck"/> as
/// every other sat answer is (input inside the box within <see cref="InputTolerance"/>, output in the unsafe set, written
/// outputs matching); an unsat answer on a planted instance is UNSOUND.
/// </summary>
public sealed class SoundnessHarness(IVerifierTool tool)
{
    /// <summary>How far outside the box a counterexample input may lie.</summary>
    public double InputTolerance { get; init; } = 1e-6;

    /// <summary>Replaces every instance's time limit when set.</summary>
    public double? TimeoutOverride { get; init; }

    /// <summary>
    /// Runs <see cref="IVerifierTool"/> on each instance of <paramref name="benchmarkDir"/>, writing result files into
    /// <paramref name="resultsDir"/>, and returns the judgements. <paramref name="progress"/> hears each one.
    /// </summary>
    public HarnessSummary Run(string benchmarkDir, string resultsDir, Action<InstanceOutcome>? progress = null, Action<BenchmarkInstance>? starting = null)
    {
        var instances = BenchmarkInstance.ReadAll(benchmarkDir);
        var manifest = BenchmarkManifest.Read(BenchmarkManifest.PathIn(benchmarkDir)).ToDictionary(e => Normalise(e.Vnnlib));
        Directory.CreateDirectory(resultsDir);
        var outcomes = new List<InstanceOutcome>();
        foreach (var inst in instances)
        {
            starting?.Invoke(inst);
            manifest.TryGetValue(Normalise(inst.Vnnlib), out var entry);
            var outcome = RunOne(benchmarkDir, resultsDir, inst, entry);
            outcomes.Add(outcome);
            progress?.Invoke(outcome);
        }
        var summary = new HarnessSummary(outcomes);
        WriteCsv(Path.Combine(resultsDir, "soundness_results.csv"), summary);
        return summary;
    }

    InstanceOutcome RunOne(string dir, string resultsDir, BenchmarkInstance inst, ManifestEntry? entry)
    {
        string onnx = Path.Combine(dir, inst.Onnx), vnnlib = Path.Combine(dir, inst.Vnnlib);
        string kind = entry?.Kind ?? "unlabelled", expected = entry?.Expected ?? "unknown";
        var results = Path.Combine(resultsDir, Path.GetFileNameWithoutExtension(inst.Vnnlib) + ".result");
        File.Delete(results);
        var run = tool.Run(onnx, vnnlib, results, TimeoutOverride ?? inst.TimeoutSeconds);
        InstanceOutcome Make(ResultStatus? status, Classification c, string detail) => new(inst.Vnnlib, inst.Onnx, kind, expected, status, c, run.Seconds, detail);

        if (run.TimedOut && !File.Exists(results)) return Make(ResultStatus.Timeout, Classification.Missed, "killed at the time limit, no result file");
        if (!File.Exists(results)) return Make(null, Classification.Error, $"no result file (exit code {run.ExitCode}): {LastLine(run.Output)}");
        VerificationResult r;
        try { r = ResultFile.Read(results); }
        catch (Exception e) when (e is FormatException or IOException) { return Make(null, Classification.Error, $"unreadable result file: {e.Message}"); }

        switch (r.Status)
        {
            case ResultStatus.Unknown:
            case ResultStatus.Timeout:
                return Make(r.Status, Classification.Missed, run.TimedOut ? "killed at the time limit" : "");
            case ResultStatus.Error:
                return Make(r.Status, Classification.Error, LastLine(run.Output));
            case ResultStatus.Unsat:
                if (entry is { IsPlanted: true }) return Make(r.Status, Classification.Unsound, $"UNSOUND: unsat, but {entry.Counterexample} violates the property");
                if (expected == "unsat") return Make(r.Status, Classification.Correct, "agrees with the generator's proof");
                return Make(r.Status, Classification.Unjudged, "unsat on an instance whose truth is not known");
            default:
                // The one re-check of a sat answer (certify check-result, compare's check column): in a box, violating
                // the property in ONNX Runtime, and any written outputs matching.
                var check = SatCheck.Check(onnx, vnnlib, results, new ResultCheckOptions(BoxTolerance: InputTolerance));
                if (!SatCheck.IsValid(check)) return Make(r.Status, Classification.InvalidCounterexample, check[SatCheck.InvalidPrefix.Length..]);
                if (entry is { IsPlanted: false } && expected == "unsat")
                    return Make(r.Status, Classification.ControlLabelRefuted, "a reproducing counterexample on a control labelled unsat by the generator");
                return Make(r.Status, Classification.Correct, "counterexample reproduces in ONNX Runtime");
        }
    }

    /// <summary>The per-instance outcomes, through the one CSV writer (a detail or path with a comma stays one field).</summary>
    static void WriteCsv(string path, HarnessSummary s) =>
        Certify.Verification.Benchmarks.CsvLines.WriteAll(path, ["vnnlib", "onnx", "kind", "expected", "status", "class", "seconds"], s.Outcomes.Select(o => new[]
        {
            o.Vnnlib, o.Onnx, o.Kind, o.Expected, o.Status is { } st ? ResultFile.Word(st) : "none", o.Class.ToString(), o.Seconds.ToString("F2", CultureInfo.InvariantCulture),
        }));

    static string Normalise(string rel) => rel.Replace('\\', '/').TrimStart('.', '/');
    static string LastLine(string s) => s.TrimEnd().Split('\n').LastOrDefault()?.Trim() ?? "";
}

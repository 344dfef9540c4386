using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Certify.Graph;
using Certify.Import;

namespace Certify.Runtime;

/// <summary>How one network fared: imported or not (and why), and its disagreement with ONNX Runtime.</summary>
public sealed record SurveyEntry(string Path, string Family, bool Imported, string? Error, string? BlockingOperator,
    int Nodes, long Parameters, AgreementResult? Agreement, double ImportSeconds);

/// <summary>
/// Imports every <c>*.onnx</c> under a folder and compares each imported graph (float32) with ONNX Runtime on random
/// inputs in [-1, 1]: the import benchmark (<c>certify bench-import</c>) and the agreement test share it.
/// </summary>
public static class ImportSurvey
{
    /// <summary>All ONNX files under <paramref name="root"/>, sorted.</summary>
    public static List<string> FindModels(string root) =>
        Directory.EnumerateFiles(root, "*.onnx", SearchOption.AllDirectories).OrderBy(p => p, StringComparer.Ordinal).ToList();

    /// <summary>Family of a model: its first folder below <paramref name="root"/>.</summary>
    public static string FamilyOf(string root, string path)
    {
        var rel = System.IO.Path.GetRelativePath(root, path).Replace('\\', '/');
        int i = rel.IndexOf('/');
        return i < 0 ? "." : rel[..i];
    }

    /// <summary>Imports and checks one model on <paramref name="samples"/> random inputs.</summary>
    public static SurveyEntry Check(string root, string path, int samples, int seed = 1)
    {
        var family = FamilyOf(root, path);
        var sw = Stopwatch.StartNew();
        ComputationGraph g;
        try { g = OnnxImporter.Import(path); }
        catch (ImportException e) { return new SurveyEntry(path, family, false, e.Message, BlockingOperator(e.Message), 0, 0, null, sw.Elapsed.TotalSeconds); }
        double seconds = sw.Elapsed.TotalSeconds;
        AgreementResult agreement;
        try
        {
            using var ort = new OnnxRuntimeModel(path);
            var lo = Enumerable.Repeat(-1.0, (int)g.InputSize).ToArray();
            var hi = Enumerable.Repeat(1.0, (int)g.InputSize).ToArray();
            agreement = GraphAgreement.Compare(g, ort, GraphAgreement.RandomPoints(lo, hi, samples, seed));
        }
        catch (Exception e) when (e is ImportException or ArgumentException)
        {
            return new SurveyEntry(path, family, true, "reference run failed: " + e.Message, null, g.Nodes.Count, g.ParameterCount, null, seconds);
        }
        return new SurveyEntry(path, family, true, null, null, g.Nodes.Count, g.ParameterCount, agreement, seconds);
    }

    /// <summary>The operator named in an import error ("(op X)"), with a short reason when the op itself is supported.</summary>
    public static string? BlockingOperator(string message)
    {
        var m = Regex.Match(message, @"\(op ([A-Za-z0-9_]+)\)(:? ?)(.*)");
        if (!m.Success)
        {
            if (message.Contains("has no input")) return "(no input)";
            if (message.Contains("does not depend on the input")) return "(constant output)";
            if (message.Contains("not a valid ONNX model")) return "(malformed file)";
            return null;
        }
        var op = m.Groups[1].Value;
        if (!OnnxImporter.SupportedOperators.Contains(op)) return op;
        var reason = m.Groups[3].Value;
        int cut = reason.IndexOfAny(new[] { ';', '(' });
        return $"{op} ({(cut > 0 ? reason[..cut] : reason).Trim()})";
    }

    /// <summary>A markdown report: totals, per family, failures, blocking operators.</summary>
    public static string Markdown(string root, IReadOnlyList<SurveyEntry> entries, string machine)
    {
        var sb = new StringBuilder();
        int imported = entries.Count(e => e.Imported && e.Agreement is not null);
        var errs = entries.Where(e => e.Agreement is not null).Select(e => e.Agreement!.MaxRelativeError).DefaultIfEmpty(0);
        sb.AppendLine("# ONNX import benchmark");
        sb.AppendLine();
        sb.AppendLine($"Networks: every `*.onnx` under `{root}`. Machine: {machine}. Date: {DateTime.UtcNow:yyyy-MM-dd}.");
        sb.AppendLine("Errors: ours = imported graph in float32, ORT = ONNX Runtime on the original file, on random inputs in [-1, 1]. ");
        sb.AppendLine("rel = max |ours − ORT| / max(1, |ORT|) per output; scaled = max |ours − ORT| / (max(1, |ORT_k|) + 0.01·max_j |ORT_j|), ");
        sb.AppendLine("which allows float32 cancellation at the scale of the output vector (the agreement test requires scaled ≤ 1e-4).");
        sb.AppendLine();
        var scaledErrs = entries.Where(e => e.Agreement is not null).Select(e => e.Agreement!.MaxScaledError).DefaultIfEmpty(0);
        sb.AppendLine($"**Imported: {imported} / {entries.Count}**, max rel. error {errs.Max():0.###e+0}, max scaled error {scaledErrs.Max():0.###e+0}.");
        sb.AppendLine();
        sb.AppendLine("| family | imported / total | max rel. error | max scaled error | max abs. error | import s (max) |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var f in entries.GroupBy(e => e.Family).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var ok = f.Where(e => e.Agreement is not null).ToList();
            sb.AppendLine($"| {f.Key} | {ok.Count} / {f.Count()} | {(ok.Count > 0 ? ok.Max(e => e.Agreement!.MaxRelativeError).ToString("0.###e+0") : "-")} | " +
                          $"{(ok.Count > 0 ? ok.Max(e => e.Agreement!.MaxScaledError).ToString("0.###e+0") : "-")} | " +
                          $"{(ok.Count > 0 ? ok.Max(e => e.Agreement!.MaxAbsoluteError).ToString("0.###e+0") : "-")} | {f.Max(e => e.ImportSeconds):0.00} |");
        }
        var failed = entries.Where(e => e.Agreement is null).ToList();
        if (failed.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("## Blocking operators");
            sb.AppendLine();
            sb.AppendLine("| operator | networks |");
            sb.AppendLine("|---|---|");
            foreach (var g in failed.GroupBy(e => e.BlockingOperator ?? "(other)").OrderByDescending(g => g.Count()))
                sb.AppendLine($"| {g.Key} | {g.Count()} |");
            sb.AppendLine();
            sb.AppendLine("## Not imported");
            sb.AppendLine();
            foreach (var e in failed)
                sb.AppendLine($"- `{System.IO.Path.GetRelativePath(root, e.Path)}`: {Shorten(e.Error ?? "", 300)}");
        }
        return sb.ToString();
    }

    static string Shorten(string s, int n)
    {
        var i = s.IndexOf("; supported:", StringComparison.Ordinal);
        if (i > 0) s = s[..i] + "; supported: (the list)";
        return s.Length <= n ? s : s[..n] + "…";
    }
}

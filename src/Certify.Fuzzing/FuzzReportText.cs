using System.Globalization;
using System.Text;

namespace Certify.Fuzzing;

/// <summary>The summary table of a run, in markdown (printed by <c>certify fuzz</c> and pasted into the reliability report).</summary>
public static class FuzzReportText
{
    /// <summary>The report as JSON (the stats file a supervising process reads).</summary>
    public static string Json(FuzzReport r) => System.Text.Json.JsonSerializer.Serialize(new
    {
        r.Target, r.Stats.Executions, ElapsedSeconds = r.Stats.Elapsed.TotalSeconds, r.Stats.Edges, r.Stats.DistinctPaths, r.Stats.Corpus,
        r.Stats.Crashes, r.Stats.Hangs, r.Stats.MemoryFindings, r.Stats.Accepted, r.Stats.Rejected, r.Seeds, r.InstrumentedTypes, r.StoppedEarly,
        r.Outcomes,
        Findings = r.Findings.Select(f => new { f.Kind, f.Signature, f.Summary, f.Count, Bytes = f.Input.Length, f.OriginalBytes, f.InputPath }),
    });

    /// <summary>A table of the counters, the outcome counts, and one line per finding.</summary>
    public static string Markdown(FuzzReport r)
    {
        var s = r.Stats;
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine($"| target | seconds | executions | exec/s | edges | distinct paths | corpus (seeds) | crashes | hangs | memory |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        sb.AppendLine(string.Format(inv, "| {0} | {1:F0} | {2:N0} | {3:N0} | {4:N0} | {5:N0} | {6:N0} ({7}) | {8} | {9} | {10} |",
            r.Target, s.Elapsed.TotalSeconds, s.Executions, s.ExecutionsPerSecond, s.Edges, s.DistinctPaths, s.Corpus, r.Seeds, s.Crashes, s.Hangs, s.MemoryFindings));
        sb.AppendLine();
        sb.AppendLine("Outcomes: " + string.Join(", ", r.Outcomes.OrderByDescending(kv => kv.Value).Select(kv => string.Format(inv, "{0} {1:N0}", kv.Key, kv.Value))) +
                      $". Instrumented types: {r.InstrumentedTypes}." + (r.StoppedEarly is { } why ? $" Stopped early: {why}." : ""));
        if (r.Findings.Count == 0) sb.AppendLine("No crash, hang or memory finding.");
        foreach (var f in r.Findings)
            sb.AppendLine(string.Format(inv, "- {0} ×{1:N0}: {2} ({3}; {4} bytes, found at {5}) {6}", f.Kind, f.Count, f.Summary, f.Signature, f.Input.Length, f.OriginalBytes, f.InputPath));
        return sb.ToString();
    }
}

using System.Globalization;
using System.Text;
using Certify.Verification.Benchmarks;

namespace Certify.Reports;

/// <summary>
/// Two runs (tools) on one family, on the instances both solved: the measure of <c>certify compare</c>. Times summed
/// over the commonly solved instances only, because a sum over each tool's own solved instances rewards solving
/// fewer (an unsolved instance costs nothing in it) and a sum over all instances is dominated by the timeouts.
/// </summary>
/// <param name="Family">Family, or "all".</param>
/// <param name="A">The first run's name.</param>
/// <param name="B">The second run's name.</param>
/// <param name="Common">Instances both solved (<see cref="ResultRow.Solved"/>).</param>
/// <param name="SecondsA">A's total time on them.</param>
/// <param name="SecondsB">B's total time on them.</param>
/// <param name="AFaster">How many of them A answered faster than B.</param>
public sealed record PairCounts(string Family, string A, string B, int Common, double SecondsA, double SecondsB, int AFaster)
{
    /// <summary>A's time over B's on the common instances (below 1: A is faster); NaN when there is none or B took no time.</summary>
    public double Ratio => Common == 0 || SecondsB <= 0 ? double.NaN : SecondsA / SecondsB;
}

/// <summary>The tables of <c>certify compare</c>: per family and tool the counts (<see cref="RunComparison.Families"/>), and per pair of tools <see cref="PairCounts"/>.</summary>
public static class ToolComparison
{
    /// <summary>
    /// For each family (ordinal order) and then "all", every pair of runs (in the order given, each pair once), matched
    /// by instance (<see cref="ResultRow.Key"/>; a repeated row: the first counts).
    /// </summary>
    public static IReadOnlyList<PairCounts> Pairs(IReadOnlyList<RunResults> runs)
    {
        var byRun = runs.Select(r =>
        {
            var d = new Dictionary<(string, string, string), ResultRow>();
            foreach (var row in r.Rows) d.TryAdd(row.Key, row);
            return d;
        }).ToList();
        var families = runs.SelectMany(r => r.Rows).Select(r => r.Family).Distinct().Order(StringComparer.Ordinal).Append("all").ToList();
        var list = new List<PairCounts>();
        foreach (var family in families)
            for (int a = 0; a < runs.Count; a++)
                for (int b = a + 1; b < runs.Count; b++)
                {
                    var common = byRun[a].Values.Where(r => (family == "all" || r.Family == family) && r.Solved)
                        .Select(r => (A: r, B: byRun[b].GetValueOrDefault(r.Key))).Where(p => p.B is { Solved: true }).ToList();
                    list.Add(new PairCounts(family, runs[a].Name, runs[b].Name, common.Count, common.Sum(p => p.A.Seconds),
                        common.Sum(p => p.B!.Seconds), common.Count(p => p.A.Seconds < p.B!.Seconds)));
                }
        return list;
    }

    /// <summary>The text tables: per family and tool, then per family and pair. Plain text, fixed columns.</summary>
    public static string Text(IReadOnlyList<RunResults> runs)
    {
        var s = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        s.AppendLine(string.Format(inv, "{0,-20} {1,-16} {2,5} {3,6} {4,5} {5,5} {6,5} {7,5} {8,4} {9,10}", "family", "tool", "inst", "solved", "WRONG", "unsat", "sat", "unkn", "err", "solved (s)"));
        foreach (var f in RunComparison.Families(runs))
        {
            var solvedSeconds = runs.First(r => r.Name == f.Run).Rows.Where(r => (f.Family == "all" || r.Family == f.Family) && r.Solved).Sum(r => r.Seconds);
            s.AppendLine(string.Format(inv, "{0,-20} {1,-16} {2,5} {3,6} {4,5} {5,5} {6,5} {7,5} {8,4} {9,10:F1}",
                f.Family, f.Run, f.Instances, f.Solved, f.Wrong, f.Unsat, f.Sat, f.Unknown, f.Error, solvedSeconds));
        }
        var pairs = Pairs(runs);
        if (pairs.Count == 0) return s.ToString();
        s.AppendLine();
        s.AppendLine("on the instances both solved:");
        s.AppendLine(string.Format(inv, "{0,-20} {1,-34} {2,6} {3,9} {4,9} {5,7} {6,8}", "family", "A / B", "common", "A (s)", "B (s)", "A/B", "A faster"));
        foreach (var p in pairs)
            s.AppendLine(string.Format(inv, "{0,-20} {1,-34} {2,6} {3,9:F1} {4,9:F1} {5,7} {6,8}", p.Family, $"{p.A} / {p.B}", p.Common, p.SecondsA, p.SecondsB,
                double.IsNaN(p.Ratio) ? "-" : p.Ratio.ToString("F2", inv), p.AFaster));
        return s.ToString();
    }
}

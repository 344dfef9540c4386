using Certify.Verification.Benchmarks;
namespace Certify.Reports;

/// <summary>The counts of one run on one family: what the per-family table of a report shows.</summary>
public sealed record FamilyCounts(string Run, string Family, int Instances, int Solved, int Unsat, int Sat, int Unknown, int Error, int Wrong, double Seconds);

/// <summary>
/// One instance on which the runs do not agree with each other or with its label: two definite answers that contradict
/// each other (one run says sat, another unsat), an answer against the published label, or a sat whose counterexample
/// was re-checked and does not hold (<see cref="ResultRow.CounterexampleRejected"/>). At least one of them is a wrong
/// verdict, so every one is shown.
/// </summary>
/// <param name="Family">The instance's family.</param>
/// <param name="Network">Its network's name (<see cref="Instance.Network"/>).</param>
/// <param name="Property">Its property's name.</param>
/// <param name="Label">The published label (the first any file gives), or null when none is known.</param>
/// <param name="Answers">Each run's result for the instance, in the order the runs were given (null: the run has no such row).</param>
/// <param name="Why">What disagrees: the runs against the label, sat and unsat between runs, a rejected counterexample.</param>
public sealed record Disagreement(string Family, string Network, string Property, string? Label, IReadOnlyList<string?> Answers, string Why);

/// <summary>What a report computes from one or more results files: per-family counts and the disagreements.</summary>
public static class RunComparison
{
    /// <summary>Per run, per family (ordinal order), the counts; a last row per run with family "all".</summary>
    public static IReadOnlyList<FamilyCounts> Families(IReadOnlyList<RunResults> runs)
    {
        var table = new List<FamilyCounts>();
        foreach (var run in runs)
        {
            foreach (var g in run.Rows.GroupBy(r => r.Family).OrderBy(g => g.Key, StringComparer.Ordinal))
                table.Add(Count(run.Name, g.Key, g.ToList()));
            table.Add(Count(run.Name, "all", run.Rows));
        }
        return table;
    }

    static FamilyCounts Count(string run, string family, IReadOnlyList<ResultRow> rows) => new(run, family, rows.Count,
        rows.Count(r => r.Solved), rows.Count(r => r.Result == "unsat"), rows.Count(r => r.Result == "sat"),
        rows.Count(r => r.Result is "unknown" or "timeout"), rows.Count(r => r.Result == "error"), rows.Count(r => r.Wrong),
        rows.Sum(r => r.Seconds));

    /// <summary>
    /// Every instance (by family, network and property) that some run answered against its label, that two runs
    /// answered sat and unsat, or where a run's sat has a rejected counterexample. The label is the first one any file
    /// gives for the instance (files of the same list carry the same labels). Order: family, network, property (ordinal).
    /// </summary>
    public static IReadOnlyList<Disagreement> Disagreements(IReadOnlyList<RunResults> runs)
    {
        var byRun = runs.Select(r =>
        {
            var d = new Dictionary<(string, string, string), ResultRow>();
            foreach (var row in r.Rows) d.TryAdd(row.Key, row);   // a repeated row (a list naming an instance twice): the first counts
            return d;
        }).ToList();
        var keys = byRun.SelectMany(d => d.Keys).Distinct()
            .OrderBy(k => k.Item1, StringComparer.Ordinal).ThenBy(k => k.Item2, StringComparer.Ordinal).ThenBy(k => k.Item3, StringComparer.Ordinal);
        var list = new List<Disagreement>();
        foreach (var key in keys)
        {
            var rows = byRun.Select(d => d.GetValueOrDefault(key)).ToList();
            var label = rows.Select(r => r?.Label).FirstOrDefault(l => l is not null);
            var answers = rows.Select(r => r?.Result).ToList();
            var definite = rows.Where(r => r is { Answered: true }).Select(r => r!.Result).Distinct().ToList();
            var why = new List<string>();
            var against = runs.Where((_, i) => rows[i] is { Answered: true } r && label is not null && r.Result != label).Select(r => r.Name).ToList();
            if (against.Count > 0) why.Add($"{string.Join(", ", against)} against the label {label}");
            if (definite.Count > 1) why.Add("sat and unsat between runs");
            var rejected = runs.Where((_, i) => rows[i] is { CounterexampleRejected: true }).Select(r => r.Name).ToList();
            if (rejected.Count > 0) why.Add($"{string.Join(", ", rejected)}: sat whose counterexample does not hold");
            if (why.Count > 0) list.Add(new Disagreement(key.Item1, key.Item2, key.Item3, label, answers, string.Join("; ", why)));
        }
        return list;
    }

    /// <summary>The times of the solved instances of a run, sorted: the points of its cactus line.</summary>
    public static IReadOnlyList<double> SolvedTimes(RunResults run) =>
        run.Rows.Where(r => r.Solved).Select(r => r.Seconds).Order().ToList();
}

using Certify.Cli.Commands;
using Certify.Verification.Benchmarks;

namespace Certify.Cli.Parallel;

/// <summary>A set of shard results files that cannot be joined: the message names the file, the line and the instance.</summary>
public sealed class ShardMergeException(string message) : Exception(message);

/// <summary>
/// Joins the results files of the shards of one list (<c>run --shard K/N --out</c>) into the rows one <c>run --out</c>
/// over the whole list would have written, in the list's order. Used by <c>certify merge</c> and by <c>run --jobs</c>
/// (whose workers are shards), so that both refuse the same things: an instance in two files (a shard run twice, or
/// two files given for one shard; with different answers it is a conflict, with the same one still a duplicate, since
/// which time to keep is not known), a row whose instance is not in the list, and an instance of the list in no file
/// (a shard that failed or was forgotten). A merged file with a silent hole would be read as a complete run.
/// <para>With the list, the order is the list's. Without it, the files must be given in shard order 1..N: the rows are
/// dealt back round robin (row j of file k is position j*N + k - 1, <see cref="Shard"/>), which is checked by the
/// number of rows each file has; files that cannot be shards 1..N of one list in that order are refused. That check cannot
/// see two swapped shards of equal size (the rows keep their names, only the order is wrong) nor a missing shard whose
/// absence leaves counts that fit, so the recipes always give the list.</para>
/// </summary>
public static class ShardMerge
{
    /// <summary>How rows of different files are matched: the key of <see cref="RunResultsFile.Key"/>.</summary>
    public static (string, string, string) Key(Instance i) => RunResultsFile.Key(i);

    static string Name((string Family, string Network, string Property) k) => $"{k.Family}/{k.Network} {k.Property}";

    /// <summary>
    /// The rows of <paramref name="shards"/> in the order of <paramref name="list"/> (named <paramref name="listName"/> in
    /// messages). With <paramref name="allowMissing"/> (an interrupted <c>run --jobs</c>), instances in no file are left
    /// out rather than refused.
    /// </summary>
    /// <exception cref="ShardMergeException">on a duplicate or conflicting row, a row not in the list, or a missing instance.</exception>
    public static IReadOnlyList<ResultRow> ByList(IReadOnlyList<RunResults> shards, IReadOnlyList<Instance> list, string listName, bool allowMissing = false)
    {
        var rows = Index(shards);
        var inList = new HashSet<(string, string, string)>();
        foreach (var inst in list)
            if (!inList.Add(Key(inst)))
                throw new ShardMergeException($"{listName}:{inst.Line}: {Name(Key(inst))} is in the list twice; results rows could not tell the two apart");
        foreach (var (key, (row, file)) in rows)
            if (!inList.Contains(key))
                throw new ShardMergeException($"{file}:{row.Line}: {Name(key)} is not an instance of {listName} (after --family/--limit); is it a shard of another list?");
        var missing = list.Where(i => !rows.ContainsKey(Key(i))).ToList();
        if (missing.Count > 0 && !allowMissing)
            throw new ShardMergeException($"{missing.Count} instance(s) of {listName} are in no shard file, the first {listName}:{missing[0].Line} " +
                                          $"({Name(Key(missing[0]))}); run its shard (or --resume it) and merge again");
        return list.Where(i => rows.ContainsKey(Key(i))).Select(i => rows[Key(i)].Row).ToList();
    }

    /// <summary>
    /// The rows of <paramref name="shards"/>, given in shard order 1..N, dealt back into the list's order (see the class
    /// summary). Refused when a file's row count does not fit round robin, as when a shard is missing or the files are
    /// out of order (a shell glob puts <c>shard-10</c> before <c>shard-2</c>).
    /// </summary>
    public static IReadOnlyList<ResultRow> RoundRobin(IReadOnlyList<RunResults> shards)
    {
        Index(shards);   // duplicates and conflicts first: they explain a bad count better
        int n = shards.Count, total = shards.Sum(s => s.Rows.Count);
        for (int k = 0; k < n; k++)
        {
            int expected = (total - k + n - 1) / n;
            if (shards[k].Rows.Count != expected)
                throw new ShardMergeException($"{shards[k].Path}: {shards[k].Rows.Count} row(s) where shard {k + 1}/{n} of a list of {total} has {expected}: " +
                                              "the files are not every shard 1..N in that order (a missing shard, or a glob that sorts shard-10 before shard-2); give --instances LIST");
        }
        var merged = new List<ResultRow>(total);
        for (int p = 0; p < total; p++) merged.Add(shards[p % n].Rows[p / n]);
        return merged;
    }

    /// <summary>Every row by key, with its file; throws on the second row of an instance.</summary>
    static Dictionary<(string, string, string), (ResultRow Row, string File)> Index(IReadOnlyList<RunResults> shards)
    {
        var seen = new Dictionary<(string, string, string), (ResultRow Row, string File)>();
        foreach (var shard in shards)
            foreach (var row in shard.Rows)
            {
                if (seen.TryGetValue(row.Key, out var first))
                    throw new ShardMergeException(first.Row.Result == row.Result
                        ? $"{shard.Path}:{row.Line}: {Name(row.Key)} is also in {first.File}:{first.Row.Line} (duplicate rows: a shard run twice?)"
                        : $"{shard.Path}:{row.Line}: {Name(row.Key)} answered {row.Result}, but {first.File}:{first.Row.Line} answered {first.Row.Result} (conflicting rows)");
                seen[row.Key] = (row, shard.Path);
            }
        return seen;
    }

    /// <summary>
    /// Writes <paramref name="rows"/> as the results file of one <c>run --out</c> (header, then the rows in order); rows
    /// read from files with the check column (<c>certify compare</c>'s) keep it, so a rejected sat stays rejected.
    /// </summary>
    public static void Write(string path, IEnumerable<ResultRow> rows)
    {
        var list = rows.ToList();
        using var file = RunResultsFile.Open(path, resume: false, check: list.Any(r => r.Check is not null));
        foreach (var r in list) file.Append(AsInstance(r), r.Result, r.Seconds, r.Check);
    }

    /// <summary>
    /// The instance a row stands for, as <see cref="RunResultsFile.Append"/> takes it: family, network and property
    /// names, kept as the row gives them (a name such as <c>medical/perturbations_0</c> included; the paths are not in a
    /// results file, and the writer only keeps the names) and the label.
    /// </summary>
    public static Instance AsInstance(ResultRow r) =>
        new(r.Family, r.Network + ".onnx", r.Property + ".vnnlib", 1, r.Label) { Network = r.Network, Property = r.Property };
}

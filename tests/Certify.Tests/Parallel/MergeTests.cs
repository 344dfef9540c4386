using Certify.Cli;
using Certify.Cli.Commands;
using Certify.Cli.Parallel;
using Certify.Verification.Benchmarks;

namespace Certify.Tests.Parallel;

/// <summary>
/// <c>certify merge</c>: shard files of one list join into the file one run over the list writes, and every way a set of
/// shard files can be wrong (a duplicate, a conflict, a missing instance, a row of another list, files out of order) is
/// refused with one line and exit 2, before anything is written.
/// </summary>
public sealed class MergeTests : IDisposable
{
    readonly string _dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"certify-merge-{Guid.NewGuid():N}")).FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static readonly string[] Words = ["sat", "unsat", "unknown", "timeout", "error"];

    /// <summary>A list of <paramref name="count"/> instances (files need not exist for merging) and random results for it.</summary>
    (string List, List<ResultRow> Rows) List(int count, Random random)
    {
        var list = Path.Combine(_dir, $"list{count}.csv");
        var lines = new List<string> { "family,onnx,vnnlib,timeout,label" };
        var rows = new List<ResultRow>();
        for (int i = 0; i < count; i++)
        {
            var family = $"f{random.Next(3)}";
            var label = random.Next(3) switch { 0 => "sat", 1 => "unsat", _ => "" };
            lines.Add($"{family},n{i % 4}.onnx,p{i}.vnnlib,10,{label}");
            rows.Add(new ResultRow(family, $"n{i % 4}", $"p{i}", Words[random.Next(Words.Length)], Math.Round(random.NextDouble() * 100, 3), label.Length == 0 ? null : label, 0));
        }
        File.WriteAllLines(list, lines);
        return (list, rows);
    }

    string Write(string name, IEnumerable<ResultRow> rows)
    {
        var path = Path.Combine(_dir, name);
        ShardMerge.Write(path, rows);
        return path;
    }

    static (int Code, string Stderr) Merge(params string[] args)
    {
        var (code, _, stderr) = CommandHarness.Certify(["merge", .. args]);
        return (code, stderr);
    }

    /// <summary>
    /// Random lists and shard counts: the merge of the shard files, given in any order with the list, and in shard order
    /// without it, is byte for byte the file that writing all rows in the list's order gives.
    /// </summary>
    [Fact]
    public void Shard_files_merge_into_the_whole_lists_file()
    {
        var random = new Random(15);
        foreach (var (count, n) in new[] { (0, 1), (1, 3), (7, 2), (10, 3), (13, 5), (20, 4) })
        {
            var (list, rows) = List(count, random);
            var whole = File.ReadAllText(Write($"whole-{count}-{n}.csv", rows));
            var shards = Enumerable.Range(1, n).Select(k => Write($"s{count}-{k}-of-{n}.csv", new Shard(k, n).Take(rows))).ToList();
            var shuffled = shards.OrderBy(_ => random.Next()).ToList();
            var byList = Path.Combine(_dir, $"by-list-{count}-{n}.csv");
            Assert.Equal((0, $"certify: merged {count} row(s) from {n} file(s) into {byList}\n"), Merge([byList, .. shuffled, "--instances", list]));
            Assert.Equal(whole, File.ReadAllText(byList));
            var byOrder = Path.Combine(_dir, $"by-order-{count}-{n}.csv");
            Assert.Equal(0, Merge([byOrder, .. shards]).Code);
            Assert.Equal(whole, File.ReadAllText(byOrder));
        }
    }

    [Fact]
    public void Bad_shard_sets_are_refused_with_one_line_and_nothing_written()
    {
        var (list, rows) = List(10, new Random(6));   // shards of 4, 3 and 3 rows
        var s1 = Write("s1.csv", new Shard(1, 3).Take(rows));
        var s2 = Write("s2.csv", new Shard(2, 3).Take(rows));
        var s3 = Write("s3.csv", new Shard(3, 3).Take(rows));
        var conflicting = Write("conflict.csv", [rows[1] with { Result = rows[1].Result == "sat" ? "unsat" : "sat" }]);
        var duplicate = Write("dup.csv", [rows[4]]);
        var foreign = Write("foreign.csv", [rows[0] with { Property = "elsewhere" }]);
        var output = Path.Combine(_dir, "out.csv");
        void Refused(string[] args, params string[] message)
        {
            var (code, stderr) = Merge(args);
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Single(stderr.TrimEnd('\n').Split('\n'));
            foreach (var m in message) Assert.Contains(m, stderr);
            Assert.False(File.Exists(output), "nothing is written when the merge is refused");
        }
        Refused([output, s1, s2, s3, conflicting, "--instances", list], "conflict.csv:2", "conflicting rows", $"{rows[1].Family}/{rows[1].Network} {rows[1].Property}");
        Refused([output, s1, s2, s3, duplicate, "--instances", list], "dup.csv:2", "duplicate rows");
        Refused([output, s1, s3, "--instances", list], "3 instance(s)", "in no shard file", "list10.csv:3");
        Refused([output, s1, s2, s3, foreign, "--instances", list], "foreign.csv:2", "is not an instance of");
        Refused([output, s2, s1, s3], "s2.csv", "not every shard 1..N in that order");   // shard 2 has fewer rows than shard 1 must
        Refused([output, s1, s1], "given twice");
        Refused([s1, s1, s2], "both the output and a shard file");
        Refused([output, s1, "--family", "f1"], "give it with --instances");
        File.WriteAllText(Path.Combine(_dir, "bad.csv"), "family,network,property,result,seconds\nf,n,p,maybe,1\n");
        Refused([output, Path.Combine(_dir, "bad.csv")], "bad.csv:2", "result 'maybe'");
        Refused([output, Path.Combine(_dir, "absent.csv")], "absent.csv");
    }

    /// <summary>A shard of a list cut by --family and --limit merges with the same selection given to merge.</summary>
    [Fact]
    public void The_list_is_cut_as_run_cuts_it()
    {
        var (list, rows) = List(12, new Random(3));
        var family = rows[0].Family;
        var selected = rows.Where(r => r.Family == family).Take(3).ToList();
        var shards = Enumerable.Range(1, 2).Select(k => Write($"f{k}.csv", new Shard(k, 2).Take(selected))).ToList();
        var output = Path.Combine(_dir, "cut.csv");
        Assert.Equal(0, Merge([output, .. shards, "--instances", list, "--family", family, "--limit", "3"]).Code);
        Assert.Equal(File.ReadAllText(Write("cut-expected.csv", selected)), File.ReadAllText(output));
        Assert.Equal(ExitCodes.BadInput, Merge([Path.Combine(_dir, "cut2.csv"), .. shards, "--instances", list]).Code);   // without the cut: instances missing
    }
}

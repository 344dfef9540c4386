using System.CommandLine;
using Certify.Cli.Parallel;
using Certify.Reports;
using Certify.Verification.Benchmarks;

namespace Certify.Cli.Commands;

/// <summary>
/// <c>certify merge OUT.csv SHARD1.csv SHARD2.csv ... [--instances LIST [--root DIR] [--family F] [--limit N]]</c>: joins
/// the <c>--out</c> files of <c>run --shard K/N</c> (on one machine, on a Slurm array, on a Kubernetes Indexed Job) into
/// the file one <c>run --out</c> over the whole list writes: the same rows in the same order (only the times differ).
/// With <c>--instances</c> the order is the list's and the merge checks that every instance is there exactly once;
/// without it the shard files must be given in shard order 1..N (<see cref="ShardMerge"/>).
/// <para>Exit codes: 0 merged; 2 bad input (an unreadable file, a duplicate or conflicting row, a row not in the list, a
/// missing instance, OUT among the inputs), with one line naming the file and line. OUT is written only after every
/// input has been read and checked.</para>
/// </summary>
public sealed class MergeCommand : ICliCommand
{
    public Command Build()
    {
        var output = new Argument<string>("out") { Description = "The merged results file to write (family,network,property,result,seconds,label, as `run --out`)." };
        var shards = new Argument<string[]>("shards") { Description = "The shard results files (`run --shard K/N --out FILE`); without --instances, in shard order 1..N (then only the row counts are checked: a missing shard of the same size or two swapped shards of equal size cannot be seen).", Arity = ArgumentArity.OneOrMore }.RefusingUnknownOptions();
        var instances = new Option<string?>("--instances") { Description = "The instance list the shards were cut from: the merged rows follow its order, and every instance must be in exactly one shard file. Recommended: without it, completeness cannot be checked." };
        var root = new Option<string?>("--root") { Description = "As run's --root, for --instances." };
        var family = new Option<string?>("--family") { Description = "As run's --family: the shards were cut from the list after it." };
        var limit = new Option<int?>("--limit") { Description = "As run's --limit: the shards were cut from the first N instances (after --family)." }.AtLeast(1);
        var cmd = new Command("merge", "Join the results files of `run --shard K/N` into one, in the list's order, as one `run --out` over the whole list writes it. " +
                                       "Exit codes: 0 merged; 2 bad input (a duplicate, conflicting or missing row; an unreadable file).")
            { output, shards, instances, root, family, limit };
        cmd.SetAction(parse =>
        {
            var outPath = parse.GetValue(output)!;
            var files = parse.GetValue(shards)!;
            var full = Path.GetFullPath(outPath);
            if (files.FirstOrDefault(f => Path.GetFullPath(f) == full) is { } same)
                throw new CliException($"{same}: is both the output and a shard file; write the merge to another file");
            if (files.GroupBy(Path.GetFullPath).FirstOrDefault(g => g.Count() > 1) is { } twice)
                throw new CliException($"{twice.First()}: given twice; give each shard's file once");
            OutputFiles.Check(outPath, "OUT");
            var read = ResultsFiles.Read(files);
            IReadOnlyList<ResultRow> merged;
            try
            {
                if (parse.GetValue(instances) is { } listPath)
                {
                    var list = LoadList(listPath, parse.GetValue(root), parse.GetValue(family), parse.GetValue(limit));
                    merged = ShardMerge.ByList(read, list, listPath);
                }
                else
                {
                    if (parse.GetValue(family) is not null || parse.GetValue(limit) is not null || parse.GetValue(root) is not null)
                        throw new CliException("--family, --limit and --root describe the list: give it with --instances");
                    merged = ShardMerge.RoundRobin(read);
                }
            }
            catch (ShardMergeException e) { throw new CliException(e.Message); }
            ShardMerge.Write(outPath, merged);
            Console.Error.WriteLine($"certify: merged {merged.Count} row(s) from {files.Length} file(s) into {outPath}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>The list as <c>run</c> selects it (family, then limit), so that a shard's positions mean the same here.</summary>
    static IReadOnlyList<Instance> LoadList(string path, string? root, string? family, int? limit)
    {
        if (!File.Exists(path)) throw new CliException($"--instances {path}: no such file");
        IReadOnlyList<Instance> list;
        try { list = InstanceList.Load(path, root); }
        catch (FormatException e) { throw new CliException(e.Message); }
        if (family is not null) list = list.Where(i => i.Family == family).ToList();
        if (limit is { } n) list = list.Take(n).ToList();
        return list;
    }
}

using Certify.Cli.Commands;
using Certify.Cli.Parallel;

namespace Certify.Tests.Parallel;

/// <summary><c>run --shard K/N</c>: every instance in exactly one shard, the same shard every time, in the list's order.</summary>
public sealed class ShardTests
{
    /// <summary>
    /// For every list length up to 40 and every shard count up to 9: the shards partition the positions (each in exactly
    /// one), each shard keeps the list's order, sizes differ by at most one (round robin), and <see cref="Shard.Of"/> names
    /// the shard that holds a position. Taking a shard twice gives the same instances (deterministic).
    /// </summary>
    [Fact]
    public void Shards_partition_every_list_deterministically_and_in_order()
    {
        for (int length = 0; length <= 40; length++)
            for (int n = 1; n <= 9; n++)
            {
                var list = Enumerable.Range(0, length).Select(i => $"instance{i}").ToList();
                var shards = Enumerable.Range(1, n).Select(k => new Shard(k, n).Take(list)).ToList();
                var seen = shards.SelectMany(s => s).GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
                Assert.Equal(length, seen.Count);
                Assert.All(seen.Values, count => Assert.Equal(1, count));
                foreach (var s in shards) Assert.Equal(s, s.OrderBy(x => list.IndexOf(x)).ToList());
                Assert.True(shards.Max(s => s.Count) - shards.Min(s => s.Count) <= 1, $"{length} instances in {n} shards: sizes {string.Join(",", shards.Select(s => s.Count))}");
                for (int p = 0; p < length; p++) Assert.Contains(list[p], shards[Shard.Of(p, n).Index - 1]);
                Assert.Equal(shards, Enumerable.Range(1, n).Select(k => new Shard(k, n).Take(list)).ToList());
            }
    }

    [Theory]
    [InlineData("1/1", 1, 1)]
    [InlineData("2/3", 2, 3)]
    [InlineData(" 4/4 ", 4, 4)]
    public void Valid_shards_parse(string text, int k, int n)
    {
        Assert.True(Shard.TryParse(text, out var s, out _));
        Assert.Equal(new Shard(k, n), s);
    }

    /// <summary>Bad values are a parse error of <c>run</c> naming the option (exit 2 before any work), not a silent empty shard.</summary>
    [Theory]
    [InlineData("3/2", "K must be between 1 and 2")]
    [InlineData("0/2", "K must be between 1 and 2")]
    [InlineData("1/0", "N must be between 1")]
    [InlineData("2", "expected K/N")]
    [InlineData("a/b", "expected K/N")]
    [InlineData("-1/2", "expected K/N")]
    [InlineData("1/2/3", "expected K/N")]
    public void Bad_shards_are_refused_with_one_line_naming_the_option(string text, string why)
    {
        var errors = CommandHarness.ParseErrors<RunCommand>("run", "list.csv", "--shard", text);
        var error = Assert.Single(errors);
        Assert.StartsWith($"--shard {text}:", error);
        Assert.Contains(why, error);
        var (code, _, stderr) = CommandHarness.Certify(["run", "list.csv", "--shard", text]);
        Assert.Equal(Certify.Cli.ExitCodes.BadInput, code);
        Assert.Contains($"certify: --shard {text}:", stderr);
    }

    /// <summary>
    /// Through the command: the shards of a real list, run one by one, hold every instance once and answer each as one
    /// run over the whole list does (and as the hand-made ground truth says).
    /// </summary>
    [Fact]
    public void Shard_runs_together_answer_the_whole_list_once()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"certify-shard-{Guid.NewGuid():N}");
        try
        {
            var list = TinyInstances.Write(dir, scales: 2);
            var whole = Path.Combine(dir, "whole.csv");
            Assert.Equal(0, CommandHarness.Run<RunCommand>("run", list, "--out", whole));
            var rows = new List<string>();
            for (int k = 1; k <= 3; k++)
            {
                var part = Path.Combine(dir, $"part{k}.csv");
                Assert.Equal(0, CommandHarness.Run<RunCommand>("run", list, "--shard", $"{k}/3", "--out", part));
                rows.AddRange(TinyInstances.Verdicts(part).Skip(1));
            }
            var expected = TinyInstances.Verdicts(whole).Skip(1).ToList();
            Assert.Equal(expected.Order(), rows.Order());
            Assert.All(expected, r => Assert.Equal(r.Split(',')[3], r.Split(',')[4]));   // each answer is its label
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

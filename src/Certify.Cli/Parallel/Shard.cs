using System.CommandLine;
using System.Globalization;

namespace Certify.Cli.Parallel;

/// <summary>
/// One share of an instance list: shard <see cref="Index"/> of <see cref="Count"/>, numbered from 1 (<c>--shard 1/4</c>
/// to <c>--shard 4/4</c>). The instance at position p of the list (0-based, in the list's order after <c>--family</c> and
/// <c>--limit</c>) belongs to shard <c>p mod N + 1</c>: round robin rather than contiguous blocks, because lists are
/// grouped by family and a family's instances tend to be equally hard, so blocks would give one shard all of the hard
/// family and the others nothing to do. The rule needs nothing but the list, so N machines that each read the same list
/// agree on the split without talking to each other, and every instance is in exactly one shard.
/// <para>Numbered from 1 because "1/2 and 2/2" reads as the halves it means and Slurm array indices are chosen freely
/// (<c>--array=1-N</c>); a Kubernetes Indexed Job's <c>JOB_COMPLETION_INDEX</c> counts from 0, so its recipe adds one.</para>
/// </summary>
public sealed record Shard(int Index, int Count)
{
    /// <summary>Most shards accepted: more than there could be instances in a list Certify reads is a typo.</summary>
    public const int MaxCount = 1_000_000;

    /// <summary>Whether the instance at 0-based position <paramref name="position"/> of the list belongs to this shard.</summary>
    public bool Holds(int position) => position % Count == Index - 1;

    /// <summary>The instances of <paramref name="list"/> that belong to this shard, in the list's order.</summary>
    public IReadOnlyList<T> Take<T>(IReadOnlyList<T> list) => list.Where((_, p) => Holds(p)).ToList();

    /// <summary>The shard that holds position <paramref name="position"/> of a list split <paramref name="count"/> ways.</summary>
    public static Shard Of(int position, int count) => new(position % count + 1, count);

    public override string ToString() => $"{Index}/{Count}";

    /// <summary>
    /// Parses <c>K/N</c> (integers, 1 &lt;= K &lt;= N &lt;= <see cref="MaxCount"/>); the error names what is wrong, for the
    /// one line <c>certify</c> prints.
    /// </summary>
    public static bool TryParse(string text, out Shard? shard, out string? error)
    {
        shard = null;
        error = null;
        var parts = text.Trim().Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var k)
                              || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            error = $"--shard {text}: expected K/N, two whole numbers with 1 <= K <= N (e.g. --shard 1/4)";
            return false;
        }
        if (n < 1 || n > MaxCount) { error = $"--shard {text}: N must be between 1 and {MaxCount:N0}"; return false; }
        if (k < 1 || k > n) { error = $"--shard {text}: K must be between 1 and {n} (shards are numbered from 1)"; return false; }
        shard = new Shard(k, n);
        return true;
    }

    /// <summary>The <c>--shard K/N</c> option of <c>run</c>, parsed and validated (a bad value is a parse error: exit 2).</summary>
    public static Option<Shard?> Option() => new("--shard")
    {
        Description = "Run only shard K of N of the list (K from 1 to N): the instance at position p (from 0, after --family and --limit) belongs to shard p mod N + 1. " +
                      "N runs with 1/N .. N/N cover the list once; `certify merge` joins their --out files (README, Cluster runs).",
        CustomParser = r =>
        {
            var text = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
            if (TryParse(text, out var s, out var error)) return s;
            r.AddError(error!);
            return null;
        },
    };
}

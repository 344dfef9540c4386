using Certify.Checker;
using Certify.Verification;
using Certify.Verification.Proofs;
using Xunit.Abstractions;

namespace Certify.Tests.Certificates;

/// <summary>
/// Certificates of proofs by neuron (ReLU) splitting: the fixture's property proved by beta-CROWN branch and bound over
/// neuron splits (with input bisection where no neuron is worth splitting) is accepted, and a flipped split or a dropped
/// leaf is rejected, naming the leaf or the part left uncovered.
/// </summary>
[Collection(SequentialRandomCollection.Name)]
public sealed class NeuronSplitCertificateTests(CertificateFixture f, ITestOutputHelper output) : IClassFixture<CertificateFixture>
{
    IReadOnlyList<ProofNode> Nodes => f.Neuron.Certificate.Regions[0].Nodes;

    Certificate WithNodes(IReadOnlyList<ProofNode> nodes) =>
        f.Neuron.Certificate with { Regions = new[] { f.Neuron.Certificate.Regions[0] with { Nodes = nodes } } };

    [Fact]
    public void A_neuron_split_proof_is_accepted_and_its_tree_splits_neurons()
    {
        var (report, certificate, path) = f.Neuron;
        output.WriteLine($"{report.Verdict}; {report.Certificate}");
        Assert.Equal(VerdictKind.Unsat, report.Verdict.Kind);
        Assert.StartsWith("written:", report.Certificate);
        Assert.Contains(certificate.Regions[0].Nodes, n => n.Neuron is not null);
        var r = CertificateFiles.Check(f.Model, f.Property, path, parallelism: 1);
        output.WriteLine(r.ToString());
        Assert.True(r.Accepted, r.Message);
        Assert.True(CertificateFixture.ValidAgainstSchema(File.ReadAllText(path)), "the neuron-split certificate is not valid against its schema");
    }

    Certificate WithBetas(Func<double, double> map) => WithNodes(Nodes.Select(n => n.Leaf is { Betas: { } b } leaf
        ? new ProofNode(Leaf: leaf with { Betas = b.Select(k => k?.Select(m => m?.Select(map).ToArray()).ToArray()).ToArray() })
        : n).ToList());

    [Fact]
    public void Beta_multipliers_are_used_and_negative_ones_read_as_zero()
    {
        Assert.Contains(Nodes, n => n.Leaf is { Betas: not null });
        // Used: a huge multiplier on every split neuron's constraint s·z ≥ 0 subtracts about 1e6·s·z, which ruins the bound.
        var huge = f.Check(WithBetas(_ => 1e6), "neuron-huge-beta.json");
        output.WriteLine(huge.ToString());
        Assert.False(huge.Accepted);
        Assert.Contains("leaf at node", huge.Message);
        Assert.Contains("not refuted", huge.Message);
        // Clamped: negative multipliers count as 0, exactly as a certificate with no multipliers at all.
        var negative = f.Check(WithBetas(_ => -5), "neuron-negative-beta.json");
        var none = f.Check(WithNodes(Nodes.Select(n => n.Leaf is { } leaf ? new ProofNode(Leaf: leaf with { Betas = null }) : n).ToList()), "neuron-no-beta.json");
        output.WriteLine($"{negative}; {none}");
        Assert.Equal(none.Accepted, negative.Accepted);
        Assert.Equal(none.Message, negative.Message);
    }

    [Fact]
    public void Flipping_the_sign_of_a_neuron_split_is_rejected_at_a_leaf()
    {
        // The two subtrees of a neuron split trade places: each leaf's witness now faces the other sign of the neuron.
        var nodes = Nodes.ToList();
        var rejected = 0;
        foreach (int i in Enumerable.Range(0, nodes.Count).Where(i => nodes[i].Neuron is not null).Take(5))
        {
            int mid = CertificateTests.SubtreeEnd(nodes, i + 1), end = CertificateTests.SubtreeEnd(nodes, mid);
            var swapped = nodes.Take(i + 1).Concat(nodes.Skip(mid).Take(end - mid)).Concat(nodes.Skip(i + 1).Take(mid - i - 1)).Concat(nodes.Skip(end)).ToList();
            var r = f.Check(WithNodes(swapped), $"neuron-flip-{i}.json");
            output.WriteLine($"split at node {i}: {r}");
            if (r.Accepted) continue;   // both sides' witnesses may hold on either side; the next split is tried
            Assert.Contains("leaf at node", r.Message);
            rejected++;
        }
        Assert.True(rejected > 0, "no flipped neuron split was rejected");
    }

    [Fact]
    public void Dropping_a_leaf_under_a_neuron_split_is_rejected_naming_the_part_left_uncovered()
    {
        var nodes = Nodes.ToList();
        int split = nodes.FindIndex(n => n.Neuron is not null);
        int leaf = nodes.FindIndex(split, n => n.Leaf is not null);
        nodes.RemoveAt(leaf);
        var r = f.Check(WithNodes(nodes), "neuron-dropped.json");
        output.WriteLine(r.ToString());
        Assert.False(r.Accepted);
        Assert.Contains("region 0", r.Message);
    }

    [Fact]
    public void A_neuron_split_twice_on_one_path_or_one_that_does_not_exist_is_rejected()
    {
        var nodes = Nodes.ToList();
        int i = nodes.FindIndex(n => n.Neuron is not null);
        var bogus = nodes.ToList();
        bogus[i] = new ProofNode(Neuron: new NeuronSplit(0, 10_000));
        var r = f.Check(WithNodes(bogus), "neuron-bogus.json");
        Assert.False(r.Accepted);
        Assert.Contains("does not exist", r.Message);
        // The same split repeated just below itself: its first child is then a split of a neuron already split.
        var twice = nodes.Take(i + 1).Append(nodes[i]).Concat(nodes.Skip(i + 1)).ToList();
        r = f.Check(WithNodes(twice), "neuron-twice.json");
        output.WriteLine(r.ToString());
        Assert.False(r.Accepted);
        Assert.Contains("split twice", r.Message);
    }
}

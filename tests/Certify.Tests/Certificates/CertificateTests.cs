using Certify.Checker;
using Certify.Import;
using Certify.Operators;
using Certify.Verification;
using Certify.Verification.Proofs;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Certify.Tests.Certificates;

/// <summary>
/// Certificates of unsat and the independent checker: a real proof is accepted, and every kind of tampering (or a
/// deliberately unsound search) is rejected with a message naming where the proof fails.
/// </summary>
[Collection(SequentialRandomCollection.Name)]
public sealed class CertificateTests(CertificateFixture f, ITestOutputHelper output) : IClassFixture<CertificateFixture>
{
    static RegionProof Region(Certificate c) => c.Regions[0];

    static Certificate WithNodes(Certificate c, IReadOnlyList<ProofNode> nodes) =>
        c with { Regions = new[] { Region(c) with { Nodes = nodes } } };

    static int FirstLeaf(Certificate c) => Region(c).Nodes.ToList().FindIndex(n => n.Leaf is not null);

    static Certificate WithLeaf(Certificate c, int index, Leaf leaf)
    {
        var nodes = Region(c).Nodes.ToList();
        nodes[index] = new ProofNode(Leaf: leaf);
        return WithNodes(c, nodes);
    }

    CheckReport Rejected(Certificate c, string name, params string[] mentions)
    {
        var r = f.Check(c, name);
        output.WriteLine(r.ToString());
        Assert.False(r.Accepted, "the tampered certificate was accepted");
        foreach (var m in mentions) Assert.Contains(m, r.Message);
        return r;
    }

    [Fact]
    public void A_real_proof_is_accepted_and_has_a_tree()
    {
        output.WriteLine($"{f.Report.Certificate}; {f.Report.Verdict}");
        Assert.StartsWith("written:", f.Report.Certificate);
        Assert.True(Region(f.Certificate).Nodes.Count(n => n.Leaf is not null) >= 2, "the proof should need splits");
        var r = CertificateFiles.Check(f.Model, f.Property, f.CertificatePath, parallelism: 1);
        output.WriteLine(r.ToString());
        Assert.True(r.Accepted, r.Message);
    }

    [Fact]
    public void An_alpha_crown_proof_carries_its_slopes_and_is_accepted()
    {
        var path = Path.Combine(f.Folder, "alpha.json");
        var report = f.Verify(path, method: Certify.Bounds.BoundMethod.AlphaCrown);
        output.WriteLine($"{report.Verdict}; {report.Certificate}");
        Assert.Equal(VerdictKind.Unsat, report.Verdict.Kind);
        var c = Certificate.Load(path);
        var leaves = Region(c).Nodes.Where(n => n.Leaf is not null).Select(n => n.Leaf!).ToList();
        Assert.All(leaves, l => Assert.NotNull(l.Slopes));
        Assert.Contains(leaves, l => l.Slopes!.Any(k => k!.Any(a => a is not null && a.Any(v => v > 0 && v < 1))));   // optimised, not 0/1
        var r = CertificateFiles.Check(f.Model, f.Property, path, parallelism: 1);
        output.WriteLine(r.ToString());
        Assert.True(r.Accepted, r.Message);
    }

    [Fact]
    public void Swapping_the_children_of_a_split_is_rejected_at_a_leaf()
    {
        // The root split's two subtrees trade places: each leaf's witness now faces the other half of the box.
        var nodes = Region(f.Certificate).Nodes.ToList();
        Assert.NotNull(nodes[0].Split);
        int end = SubtreeEnd(nodes, 1);
        var swapped = new[] { nodes[0] }.Concat(nodes.Skip(end)).Concat(nodes.Skip(1).Take(end - 1)).ToList();
        Rejected(WithNodes(f.Certificate, swapped), "swapped.json", "region 0", "node ");
    }

    [Fact]
    public void Moving_a_split_to_another_input_is_rejected_at_a_leaf()
    {
        var nodes = Region(f.Certificate).Nodes.ToList();
        var s = nodes[0].Split!;
        nodes[0] = new ProofNode(Split: s with { Input = 1 - s.Input, At = 0.3 });
        Rejected(WithNodes(f.Certificate, nodes), "moved.json", "region 0", "node ");
    }

    [Fact]
    public void Dropping_a_leaf_leaves_a_sub_box_uncovered()
    {
        var nodes = Region(f.Certificate).Nodes.ToList();
        nodes.RemoveAt(FirstLeaf(f.Certificate));
        Rejected(WithNodes(f.Certificate, nodes), "dropped.json", "region 0");
    }

    [Fact]
    public void Tightening_a_claimed_bound_beyond_the_truth_is_rejected_naming_the_node()
    {
        int i = FirstLeaf(f.Certificate);
        var leaf = Region(f.Certificate).Nodes[i].Leaf!;
        var pre = leaf.Pre.ToList();
        var lower = pre[0].Lower.ToArray();
        lower[0] = pre[0].Upper[0];    // claims the neuron is at its upper bound everywhere
        pre[0] = pre[0] with { Lower = lower };
        Rejected(WithLeaf(f.Certificate, i, leaf with { Pre = pre }), "tight.json", $"node {f.Certificate.Nonlinear[0].Name} neuron 0", "not implied");
    }

    [Fact]
    public void A_claim_that_sampling_shows_false_is_rejected_naming_the_node_and_neuron()
    {
        // The deepest ReLU layer's claimed upper bound of one neuron is set just below a value that the network actually
        // reaches inside the leaf's box (found by sampling): a claim the checker cannot imply, because it is false.
        var nodes = Region(f.Certificate).Nodes.ToList();
        var (lo, hi) = (Region(f.Certificate).Lower, Region(f.Certificate).Upper);
        int i = FirstLeaf(f.Certificate);
        var box = LeafBox(nodes, i, lo, hi);
        var leaf = nodes[i].Leaf!;
        int layer = leaf.Pre.Count - 1;
        using var scope = NewDisposeScope();
        var pre = f.Graph.Nodes.Where(n => n.Op is ReluOp).ElementAt(layer).Inputs[0];
        var xs = tensor(box.Lo).unsqueeze(0) + rand(4000, box.Lo.Length, dtype: ScalarType.Float64) * (tensor(box.Hi) - tensor(box.Lo)).unsqueeze(0);
        var z = f.Graph.To(ScalarType.Float64).ForwardAll(xs)[pre]!.reshape(4000, -1);
        var reached = z.amax(0).data<double>().ToArray();
        int j = Enumerable.Range(0, reached.Length).MaxBy(k => reached[k] - leaf.Pre[layer].Lower[k]);
        var bounds = leaf.Pre.ToList();
        var upper = bounds[layer].Upper.ToArray();
        upper[j] = reached[j] - 1e-3 * (1 + Math.Abs(reached[j]));
        Assert.True(upper[j] >= bounds[layer].Lower[j], "the false claim must still be an interval");
        bounds[layer] = bounds[layer] with { Upper = upper };
        Rejected(WithLeaf(f.Certificate, i, leaf with { Pre = bounds }), "false-claim.json",
            $"leaf at node {i}", $"node {f.Certificate.Nonlinear[layer].Name} neuron {j}: claimed upper bound", "not implied");
    }

    /// <summary>The box of the leaf at <paramref name="index"/> in a pre-order tree of input splits over [lo, hi].</summary>
    static (double[] Lo, double[] Hi) LeafBox(IReadOnlyList<ProofNode> nodes, int index, double[] lo, double[] hi)
    {
        var stack = new Stack<(double[] Lo, double[] Hi)>();
        stack.Push((lo, hi));
        for (int k = 0; ; k++)
        {
            var (l, h) = stack.Pop();
            if (k == index) return (l, h);
            if (nodes[k].Split is not { } s) continue;
            var lh = (double[])h.Clone(); lh[s.Input] = s.At;
            var hl = (double[])l.Clone(); hl[s.Input] = s.At;
            stack.Push((hl, h));
            stack.Push((l, lh));
        }
    }

    [Fact]
    public void Widening_claimed_bounds_is_harmless_because_the_checker_uses_its_own()
    {
        // A widened claim is still a true statement, and the checker builds every relaxation on its own derived bounds, not
        // on the claims: the proof stands. (A claim moved the other way is rejected, see above.)
        int i = FirstLeaf(f.Certificate);
        var leaf = Region(f.Certificate).Nodes[i].Leaf!;
        var pre = leaf.Pre.Select(b => new NodeBounds(b.Lower.Select(v => v - 100).ToArray(), b.Upper.Select(v => v + 100).ToArray())).ToList();
        var r = f.Check(WithLeaf(f.Certificate, i, leaf with { Pre = pre }), "wide.json");
        output.WriteLine(r.ToString());
        Assert.True(r.Accepted, r.Message);
    }

    [Fact]
    public void A_slope_outside_zero_one_is_rejected()
    {
        int i = FirstLeaf(f.Certificate);
        var leaf = Region(f.Certificate).Nodes[i].Leaf!;
        var slopes = new[] { f.Certificate.Nonlinear.Select(n => (double[]?)Enumerable.Repeat(0.5, n.Size).ToArray()).ToArray() };
        slopes[0][1]![3] = 1.5;
        Rejected(WithLeaf(f.Certificate, i, leaf with { Slopes = slopes }), "slope.json", $"leaf at node {i}", $"node {f.Certificate.Nonlinear[1].Name} neuron 3", "outside [0, 1]");
    }

    [Fact]
    public void A_changed_input_box_is_rejected()
    {
        var region = Region(f.Certificate);
        var lower = region.Lower.ToArray();
        lower[1] = -0.5;
        Rejected(f.Certificate with { Regions = new[] { region with { Lower = lower } } }, "box.json", "input box differs", "X_1");
    }

    [Fact]
    public void Another_property_is_rejected_even_with_its_hash_forged()
    {
        // A weaker property (a larger threshold) that the certificate's leaves do not refute.
        var other = Path.Combine(f.Folder, "other.vnnlib");
        var text = File.ReadAllText(f.Property);
        var spec = Certify.Spec.VnnLibParser.Parse(f.Property);
        var row = spec.Regions[0].Unsafe.Disjuncts[0].Rows[0];
        var weaker = spec with { Regions = new[] { spec.Regions[0] with { Unsafe = new Certify.Spec.OutputCondition(new[] {
            new Certify.Spec.Conjunction(new[] { row with { D = row.D + 10 } }) }) } } };
        Certify.Spec.VnnLibWriter.Write(weaker, other);
        RejectedForAnotherFile(other, network: false, "not refuted");
    }

    /// <summary>
    /// The fixture's certificate checked against <paramref name="other"/> (a network or a property file): rejected for its
    /// hash, and with the hash forged to match, rejected by the proof itself (the message naming <paramref name="forgedMention"/>).
    /// </summary>
    void RejectedForAnotherFile(string other, bool network, string forgedMention)
    {
        string kind = network ? "network" : "property";
        var plain = f.Check(f.Certificate, $"{kind}-swap.json", model: network ? other : null, property: network ? null : other);
        Assert.False(plain.Accepted);
        Assert.Contains($"another {kind}", plain.Message);
        var hash = new FileHash(Path.GetFileName(other), CheckerInputs.Sha256(other));
        var forged = network ? f.Certificate with { Network = hash } : f.Certificate with { Property = hash };
        var r = f.Check(forged, $"{kind}-forged.json", model: network ? other : null, property: network ? null : other);
        output.WriteLine(r.ToString());
        Assert.False(r.Accepted);
        Assert.Contains(forgedMention, r.Message);
    }

    [Fact]
    public void Another_network_is_rejected_even_with_its_hash_forged()
    {
        using var scope = NewDisposeScope();
        var other = Path.Combine(f.Folder, "other.onnx");
        bool changed = false;
        var g = f.Graph.MapParameters(t =>
        {
            var c = t.clone();
            if (!changed && c.dim() == 2) { c[0, 0] = c[0, 0] + 0.5f; changed = true; }   // one weight of the first layer
            return c;
        });
        OnnxExporter.Export(g, other);
        RejectedForAnotherFile(other, network: true, "leaf at node");
    }

    [Fact]
    public void The_deliberately_unsound_search_answers_unsat_with_a_certificate_the_checker_rejects()
    {
        var path = Path.Combine(f.Folder, "unsound.json");
        var report = f.Verify(path, unsound: true);
        output.WriteLine($"{report.Verdict}; {report.Certificate}");
        Assert.Equal(VerdictKind.Unsat, report.Verdict.Kind);    // the weakened search claims a proof
        var r = CertificateFiles.Check(f.Model, f.Property, path, parallelism: 1);
        output.WriteLine(r.ToString());
        Assert.False(r.Accepted);
        Assert.Contains("not covered", r.Message);
    }

    [Fact]
    public void The_written_certificate_is_valid_against_its_schema_and_a_broken_one_is_not()
    {
        Assert.True(CertificateFixture.ValidAgainstSchema(File.ReadAllText(f.CertificatePath)));
        var broken = File.ReadAllText(f.CertificatePath).Replace("\"format\":\"certify-certificate\"", "\"format\":\"other\"");
        Assert.False(CertificateFixture.ValidAgainstSchema(broken));
    }

    [Fact]
    public void A_file_that_is_not_a_certificate_is_one_line_of_error()
    {
        var path = Path.Combine(f.Folder, "garbage.json");
        File.WriteAllText(path, "{\"format\": 3");
        var e = Assert.Throws<CertificateException>(() => Certificate.Load(path));
        Assert.Contains("garbage.json", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void Operators_without_a_checker_rule_are_not_checkable_and_write_no_file()
    {
        var tanh = Certify.Tests.Bounds.TestNetworks.Mlp(() => new TanhOp(), 1, width: 4, layers: 1, inputs: 2, outputs: 3);
        Assert.StartsWith("not checkable: Tanh", CheckerInputs.NotCheckable(tanh));
        using var scope = NewDisposeScope();
        var model = Path.Combine(f.Folder, "tanh.onnx");
        OnnxExporter.Export(tanh.To(ScalarType.Float32), model);
        // y_0 ≤ −10⁴ is impossible for this small network on [-1, 1]²: an unsat that the bounds prove at once.
        var property = Path.Combine(f.Folder, "tanh.vnnlib");
        Certify.Spec.VnnLibWriter.Write(new Certify.Spec.Specification(new[] { new Certify.Spec.InputRegion(new[] { -1.0, -1.0 }, new[] { 1.0, 1.0 },
            new Certify.Spec.OutputCondition(new[] { new Certify.Spec.Conjunction(new[] { new Certify.Spec.HalfSpace(new[] { 1.0, 0, 0 }, -1e4) }) })) }, 2, 3), property);
        var path = Path.Combine(f.Folder, "tanh.json");
        var report = CertificateFixture.Verify(model, property, path);
        output.WriteLine($"{report.Verdict}; {report.Certificate}");
        Assert.Equal(VerdictKind.Unsat, report.Verdict.Kind);
        Assert.StartsWith("not checkable: Tanh", report.Certificate);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void The_commands_exit_0_when_accepted_1_when_rejected_2_for_a_file_that_is_not_a_certificate()
    {
        var path = Path.Combine(f.Folder, "cli.json");
        var (code, stdout, _) = CommandHarness.Certify(new[] { "verify", f.Model, f.Property, "--no-attack", "--exact", "none", "--split", "input", "--certificate", path });
        Assert.Equal(0, code);
        Assert.StartsWith("unsat", stdout);
        Assert.Contains("certificate written", stdout);
        (code, stdout, _) = CommandHarness.Certify(new[] { "verify", f.Model, f.Property, "--no-attack", "--exact", "none", "--split", "input", "--certificate", path, "--json" });
        Assert.Equal(0, code);
        var json = Certify.Tests.Cli.ResultJsonTests.Valid(stdout).GetProperty("certificate");
        Assert.Equal("written", json.GetProperty("status").GetString());
        Assert.StartsWith(path, json.GetProperty("detail").GetString());
        (code, stdout, _) = CommandHarness.Certify(new[] { "check-certificate", f.Model, f.Property, path });
        Assert.Equal(0, code);
        Assert.StartsWith("accepted", stdout);
        var box = Region(f.Certificate);
        var upper = box.Upper.ToArray(); upper[0] = 2;
        var tampered = Path.Combine(f.Folder, "cli-tampered.json");
        (f.Certificate with { Regions = new[] { box with { Upper = upper } } }).Save(tampered);
        (code, stdout, _) = CommandHarness.Certify(new[] { "check-certificate", f.Model, f.Property, tampered });
        Assert.Equal(1, code);
        Assert.StartsWith("rejected", stdout);
        var garbage = Path.Combine(f.Folder, "cli-garbage.json");
        File.WriteAllText(garbage, "[1, 2");
        string stderr;
        (code, _, stderr) = CommandHarness.Certify(new[] { "check-certificate", f.Model, f.Property, garbage });
        Assert.Equal(2, code);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    /// <summary>Index one past the subtree that starts at <paramref name="start"/> (pre-order).</summary>
    internal static int SubtreeEnd(IReadOnlyList<ProofNode> nodes, int start)
    {
        int need = 1, i = start;
        while (need > 0) { need += nodes[i].Split is not null || nodes[i].Neuron is not null ? 1 : -1; i++; }
        return i;
    }
}

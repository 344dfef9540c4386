using Certify.Exact;
using Certify.Graph;
using Certify.Operators;
using Certify.Solvers.Encoding;
using static TorchSharp.torch;

namespace Certify.Tests.Solvers;

public class GraphEncoderTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Model_evaluated_at_sampled_inputs_equals_the_graph_forward_and_lies_within_its_interval_bounds(int seed)
    {
        var g = TestNetworks.ConvNet(seed);
        var lo = Enumerable.Repeat(-1.0, 16).ToArray();
        var hi = Enumerable.Repeat(1.0, 16).ToArray();
        var enc = GraphEncoder.Encode(g, lo, hi);
        Assert.NotEmpty(enc.Model.Relus);
        Assert.NotEmpty(enc.Model.Maxes);
        foreach (var x in TestNetworks.Samples(lo, hi, 200, seed))
        {
            var expected = TestNetworks.Forward(g, x);
            var got = TestNetworks.EvaluateModel(enc.Model, x);
            for (int j = 0; j < expected.Length; j++)
            {
                Assert.Equal(expected[j], got[j], 9);
                Assert.InRange(expected[j], enc.NodeLower[g.OutputId][j], enc.NodeUpper[g.OutputId][j]);
            }
        }
    }

    [Fact]
    public void Every_intermediate_value_lies_in_the_interval_bounds()
    {
        var g = TestNetworks.ConvNet(7);
        var lo = Enumerable.Repeat(-0.5, 16).ToArray();
        var hi = Enumerable.Repeat(1.5, 16).ToArray();
        var enc = GraphEncoder.Encode(g, lo, hi);
        foreach (var x in TestNetworks.Samples(lo, hi, 100, 7))
        {
            using var scope = NewDisposeScope();
            var all = g.ForwardAll(tensor(x, new long[] { 1, 16 }));
            for (int id = 1; id < g.Nodes.Count; id++)
            {
                var v = all[id].reshape(-1).data<double>().ToArray();
                for (int j = 0; j < v.Length; j++) Assert.InRange(v[j], enc.NodeLower[id][j], enc.NodeUpper[id][j]);
            }
        }
    }

    [Fact]
    public void Outside_bounds_tighten_the_encoder_and_split_bounds_fix_the_relu_phase()
    {
        var g = TestNetworks.Mlp(5, 3, 6, 2);
        var lo = new[] { -1.0, -1, -1 };
        var hi = new[] { 1.0, 1, 1 };
        var plain = GraphEncoder.Encode(g, lo, hi);
        int fc1 = g.Nodes.First(n => n.Name == "fc1").Id;
        int unstable = Enumerable.Range(0, 6).First(j => plain.NodeLower[fc1][j] < 0 && plain.NodeUpper[fc1][j] > 0);
        // Split: this neuron inactive (pre-activation ≤ 0).
        var l = plain.NodeLower[fc1].ToArray();
        var u = plain.NodeUpper[fc1].ToArray();
        u[unstable] = 0;
        var split = GraphEncoder.Encode(g, lo, hi, new IntermediateBounds().Set(fc1, l, u));
        Assert.Equal(plain.Model.Relus.Count - 1, split.Model.Relus.Count);
        Assert.Equal(0, split.NodeUpper[fc1][unstable]);
    }

    [Fact]
    public void Contradictory_bounds_mark_the_region_empty()
    {
        var g = TestNetworks.Mlp(5, 3, 4, 2);
        int fc1 = g.Nodes.First(n => n.Name == "fc1").Id;
        var enc = GraphEncoder.Encode(g, new[] { 0.0, 0, 0 }, new[] { 1.0, 1, 1 },
            new IntermediateBounds().Set(fc1, Enumerable.Repeat(100.0, 4).ToArray(), Enumerable.Repeat(200.0, 4).ToArray()));
        Assert.NotNull(enc.Model.EmptyReason);
    }

    [Fact]
    public void A_sigmoid_is_rejected_with_the_node_name()
    {
        var b = new GraphBuilder(new long[] { 2 });
        int h = b.Add(new LinearOp(ones(3, 2, dtype: ScalarType.Float64), null), "fc", "test", 0);
        h = b.Add(new SigmoidOp(), "squash", "Sigmoid 'squash'", h);
        var g = b.Build(h);
        var e = Assert.Throws<EncodingNotSupportedException>(() => GraphEncoder.Encode(g, new[] { 0.0, 0 }, new[] { 1.0, 1 }));
        Assert.Contains("squash", e.Message);
        Assert.Contains("Sigmoid", e.Message);
    }

    [Fact]
    public void The_affine_probe_keeps_tiny_weights_next_to_a_large_bias()
    {
        var w = tensor(new[] { 1e-20, 3.0 }, new long[] { 1, 2 });
        var op = new LinearOp(w, tensor(new[] { 1.0 }));
        var p = AffineProbe.Probe(op, new long[] { 2 });
        Assert.Equal(new[] { (0, 1e-20), (1, 3.0) }, p.Rows[0]);
        Assert.Equal(1.0, p.Offset[0]);
    }
}

using Certify.Bounds;
using Certify.Graph;
using Certify.Operators;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Certify.Tests.Bounds;

/// <summary>
/// Patch-form CROWN refinement of convolution outputs (<see cref="ConvPatches"/>) against the dense form on random small
/// conv nets (strides 1 and 2, symmetric and asymmetric pads, windows that leave the layer, a stride that drops the last
/// row): every node's bounds and the rows' bounds agree to 1e-6 relative in float64 (float32: 1e-4), for one box and
/// for a batch whose sub-problems need different neurons; the work is counted in coefficient entries per row, never timed.
/// </summary>
[Collection(SequentialRandomCollection.Name)]
public sealed class ConvPatchesTests(ITestOutputHelper output)
{
    static Tensor W(Generator g, params long[] shape) =>
        randn(shape, ScalarType.Float64, generator: g) / Math.Sqrt(shape.Skip(1).Aggregate(1L, (a, b) => a * b)) * 1.5;

    /// <summary>Conv → ReLU → Conv → ReLU → Conv → ReLU → flatten → Linear on a [2, 9, 9] input (three window maps in a chain).</summary>
    static ComputationGraph Stem(int seed)
    {
        var g = manual_seed(seed);
        var b = new GraphBuilder(new long[] { 2, 9, 9 });
        Tensor Bias(long n) => randn(new[] { n }, ScalarType.Float64, generator: g) * 0.3;
        int x = b.Add(new ConvOp(W(g, 3, 2, 3, 3), Bias(3), new long[] { 2, 2 }, new long[] { 1, 1, 1, 1 }, new long[] { 1, 1 }, 1), "conv1", "test", 0);   // 9 → 5
        x = b.Add(new ReluOp(), "relu1", "test", x);
        x = b.Add(new ConvOp(W(g, 4, 3, 3, 3), Bias(4), new long[] { 1, 1 }, new long[] { 0, 1, 1, 0 }, new long[] { 1, 1 }, 1), "conv2", "test", x);  // asymmetric
        x = b.Add(new ReluOp(), "relu2", "test", x);
        x = b.Add(new ConvOp(W(g, 3, 4, 2, 2), Bias(3), new long[] { 2, 2 }, new long[] { 0, 0, 0, 0 }, new long[] { 1, 1 }, 1), "conv3", "test", x);   // 5 → 2, drops a row
        x = b.Add(new ReluOp(), "relu3", "test", x);
        long n = b.Nodes[x].Shape.Aggregate(1L, (p, q) => p * q);
        x = b.Add(new ReshapeOp(new[] { n }), "flat", "test", x);
        x = b.Add(new LinearOp(W(g, 3, n), Bias(3)), "out", "test", x);
        return b.Build(x);
    }

    public static TheoryData<string, bool, int> Cases()
    {
        var d = new TheoryData<string, bool, int>();
        foreach (var net in new[] { "stem", "convnet" })
            foreach (var f64 in new[] { true, false })
                foreach (var batch in new[] { 1, 3 }) d.Add(net, f64, batch);
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Patch_form_bounds_equal_the_dense_form(string net, bool float64, int batch)
    {
        var dtype = float64 ? ScalarType.Float64 : ScalarType.Float32;
        double tol = float64 ? 1e-6 : 1e-4;
        for (int seed = 1; seed <= 3; seed++)
        {
            using var scope = NewDisposeScope();
            var graph = net == "stem" ? Stem(seed) : TestNetworks.ConvNet(seed);
            var g = manual_seed(seed + 50);
            var centre = rand(ComputationGraph.ShapeWithBatch(batch, graph.InputShape), ScalarType.Float64, generator: g) * 2 - 1;
            // Different widths per sub-problem: each needs its own unstable neurons (the padded, per-sub-problem rows).
            var eps = tensor(Enumerable.Range(0, batch).Select(i => 0.05 + 0.1 * i).ToArray()).view(-1, 1, 1, 1);
            var lo = centre - eps; var hi = centre + eps;
            // No intersection with interval bounds: the refined neurons show the CROWN bounds of each form as they are.
            var options = new BoundOptions { Method = BoundMethod.Crown, DType = dtype, FlattenedRefinementFraction = 0, IntersectIntermediate = false };
            var patchEngine = new BoundEngine(graph, options);
            var denseEngine = new BoundEngine(graph, options with { ConvPatches = false });
            Assert.NotEmpty(patchEngine.PatchRefinements);                  // the patch form is in use on this net
            Assert.Empty(denseEngine.PatchRefinements);
            using var p = patchEngine.Compute(lo, hi);
            using var d = denseEngine.Compute(lo, hi);
            double worst = 0;
            void Compare(Tensor a, Tensor b, string what)
            {
                var x = a.to_type(ScalarType.Float64); var y = b.to_type(ScalarType.Float64);
                var gap = ((x - y).abs() / (1 + y.abs())).max().item<double>();
                worst = Math.Max(worst, gap);
                Assert.True(gap <= tol, $"{net} seed {seed} {dtype} batch {batch}: {what} differs by {gap:G3} relative");
            }
            for (int i = 1; i < graph.Nodes.Count; i++)
                if (d.Node(i) is { } dn) { Compare(p.Node(i)!.Value.Lower, dn.Lower, $"{graph.Nodes[i].Name} lower"); Compare(p.Node(i)!.Value.Upper, dn.Upper, $"{graph.Nodes[i].Name} upper"); }
            Compare(p.Lower, d.Lower, "rows lower");
            Compare(p.Upper, d.Upper, "rows upper");
            output.WriteLine($"{net} seed {seed} {dtype} batch {batch}: largest relative difference {worst:G3}; " +
                string.Join(", ", patchEngine.PatchRefinements.Select(kv => $"{graph.Nodes[kv.Key].Name}: {kv.Value.Patch} entries per row instead of {kv.Value.Dense}")));
        }
    }

    [Fact]
    public void A_patch_row_has_fewer_entries_than_a_dense_row_and_only_conv_chains_to_the_input_use_patches()
    {
        var graph = Stem(1);
        var engine = new BoundEngine(graph, new BoundOptions { Method = BoundMethod.Crown, DType = ScalarType.Float64 });
        var refinements = engine.PatchRefinements;
        var byName = refinements.ToDictionary(kv => graph.Nodes[kv.Key].Name, kv => kv.Value);
        Assert.Equal(new[] { "conv1", "conv2", "conv3" }, byName.Keys.OrderBy(k => k));
        // conv3 over conv2 over conv1: kernel (2 − 1)·1 + 3 = 4, then (4 − 1)·2 + 3 = 9 per axis on 2 input channels.
        Assert.Equal((2L * 9 * 9, 2L * 9 * 9), byName["conv3"]);
        Assert.Equal((2L * 3 * 3, 2L * 9 * 9), byName["conv1"]);
        Assert.True(byName["conv2"].Patch < byName["conv2"].Dense);
        // A pooling net (grouped conv, pad, pooling below the convs) keeps the dense form.
        Assert.Empty(new BoundEngine(TestNetworks.PoolNet(1), new BoundOptions { Method = BoundMethod.Crown, DType = ScalarType.Float64 }).PatchRefinements);
    }
}

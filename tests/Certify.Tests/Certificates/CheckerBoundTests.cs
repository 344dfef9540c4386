using Certify.Bounds;
using Certify.Checker;
using Certify.Operators;
using Certify.Spec;
using Certify.Tests.Bounds;
using Certify.Verification.Proofs;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Certify.Tests.Certificates;

/// <summary>
/// The checker's own bounds against the truth: no sampled pre-activation value escapes them, and they are about as
/// tight as Certify's CROWN in float64 (which they must be, or real certificates would be refused).
/// </summary>
[Collection(SequentialRandomCollection.Name)]
public sealed class CheckerBoundTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Own_bounds_contain_every_sample_and_match_crown(int seed)
    {
        var graph = TestNetworks.Mlp(() => new ReluOp(), seed, width: 20, layers: 4, inputs: 5, outputs: 3).To(ScalarType.Float64);
        using var scope = NewDisposeScope();
        var net = CheckerInputs.Network(graph);
        var random = new Random(seed);
        var lo = Enumerable.Range(0, 5).Select(_ => random.NextDouble() - 0.7).ToArray();
        var hi = lo.Select(v => v + 0.3 * random.NextDouble() + 0.05).ToArray();
        var own = CertificateChecker.OwnBounds(net, lo, hi);
        var relus = graph.Nodes.Where(n => n.Op is ReluOp).ToArray();
        // Sampling: every pre-activation value at random points of the box lies inside the checker's bounds.
        var xs = tensor(lo).unsqueeze(0) + rand(2000, 5, dtype: ScalarType.Float64) * tensor(hi.Zip(lo, (a, b) => a - b).ToArray()).unsqueeze(0);
        var all = graph.ForwardAll(xs);
        for (int l = 0; l < relus.Length; l++)
        {
            var z = all[relus[l].Inputs[0]]!.reshape(2000, -1);
            var zl = tensor(own[l].Lo).unsqueeze(0); var zu = tensor(own[l].Hi).unsqueeze(0);
            Assert.True(z.ge(zl).all().item<bool>() && z.le(zu).all().item<bool>(), $"a sample escapes layer {l}");
        }
        // Tightness: within 1e-6 (relative to the width) of CROWN's float64 bounds, or tighter.
        var engine = new BoundEngine(graph, new BoundOptions { DType = ScalarType.Float64 });
        using var r = engine.Compute(new InputRegion(lo, hi, new OutputCondition(new[] { new Conjunction(new[] { new HalfSpace(new double[3], 0) }) })));
        for (int l = 0; l < relus.Length; l++)
        {
            var iv = r.Node(relus[l].Inputs[0])!.Value;
            var el = iv.Lower.reshape(-1).data<double>().ToArray(); var eu = iv.Upper.reshape(-1).data<double>().ToArray();
            for (int j = 0; j < el.Length; j++)
            {
                double tol = 1e-6 * (1 + eu[j] - el[j]);
                output.WriteLine($"layer {l} neuron {j}: engine [{el[j]}, {eu[j]}], checker [{own[l].Lo[j]}, {own[l].Hi[j]}]");
                Assert.True(own[l].Lo[j] >= el[j] - tol && own[l].Hi[j] <= eu[j] + tol, $"layer {l} neuron {j}: checker [{own[l].Lo[j]}, {own[l].Hi[j]}] looser than CROWN [{el[j]}, {eu[j]}]");
            }
        }
    }
}

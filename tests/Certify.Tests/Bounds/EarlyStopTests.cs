using TorchSharp;
using Certify.Bounds;
using Certify.Graph;
using Certify.Operators;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Certify.Tests.Bounds;

/// <summary>
/// Early stop of alpha-/beta-CROWN (<see cref="BoundOptions.EarlyStopWindow"/>, <see cref="SubproblemInputs.StopWhenProved"/>),
/// measured in work (the engine's row-pass counter, <see cref="BoundResult.RowPasses"/>), never in time: with the rule the
/// optimisation evaluates fewer iterates, its bound is within a small tolerance of the full run's, and it stays a sound
/// bound (brute force over the box).
/// </summary>
[Collection(SequentialRandomCollection.Name)]
public sealed class EarlyStopTests(ITestOutputHelper output)
{
    static (Tensor Lo, Tensor Hi) Box(long n, double eps, int seed)
    {
        var g = manual_seed(seed);
        var centre = rand(new long[] { 1, n }, ScalarType.Float64, generator: g) * 2 - 1;
        return (centre - eps, centre + eps);
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void Stalled_optimisation_stops_early_with_a_bound_close_to_the_full_run_and_sound(ScalarType dtype)
    {
        int fewer = 0, seeds = 0;
        for (int seed = 1; seed <= 6; seed++)
        {
            using var scope = NewDisposeScope();
            var graph = TestNetworks.Mlp(() => new ReluOp(), seed, width: 16, layers: 3, inputs: 5, outputs: 4);
            var (lo, hi) = Box(5, 0.4, seed + 100);
            var full = new BoundOptions { Method = BoundMethod.AlphaCrown, DType = dtype, AlphaIterations = 60, EarlyStopWindow = 0 };
            using var all = new BoundEngine(graph, full).Compute(lo, hi);
            using var early = new BoundEngine(graph, full with { EarlyStopWindow = 4 }).Compute(lo, hi);
            using var crown = new BoundEngine(graph, full with { Method = BoundMethod.Crown }).Compute(lo, hi);
            Assert.Equal(61, all.RowPasses);                       // no rule: iteration 0 plus every step
            Assert.True(early.RowPasses <= all.RowPasses);
            if (early.RowPasses < all.RowPasses) fewer++;
            seeds++;
            var aL = all.Lower.to_type(ScalarType.Float64); var eL = early.Lower.to_type(ScalarType.Float64); var cL = crown.Lower.to_type(ScalarType.Float64);
            var aU = all.Upper.to_type(ScalarType.Float64); var eU = early.Upper.to_type(ScalarType.Float64); var cU = crown.Upper.to_type(ScalarType.Float64);
            // Never looser than CROWN (iterate 0 is CROWN's choice), and what early stop gives up is a small part of what
            // the whole optimisation gained over CROWN plus the stall threshold.
            var gainL = (aL - cL).clamp_min(0); var gainU = (cU - aU).clamp_min(0);
            var lossL = (aL - eL).max().item<double>(); var lossU = (eU - aU).max().item<double>();
            double allowL = (0.25 * gainL.max() + 1e-3 * (1 + aL.abs().max())).item<double>();
            double allowU = (0.25 * gainU.max() + 1e-3 * (1 + aU.abs().max())).item<double>();
            output.WriteLine($"seed {seed} {dtype}: passes {early.RowPasses}/{all.RowPasses}; lower loss {lossL:G3} (allowed {allowL:G3}), upper loss {lossU:G3} (allowed {allowU:G3})");
            Assert.True(eL.ge(cL - 1e-5 * (1 + cL.abs())).all().ToBoolean(), "early-stopped alpha-CROWN is looser than CROWN");
            Assert.True(eU.le(cU + 1e-5 * (1 + cU.abs())).all().ToBoolean(), "early-stopped alpha-CROWN is looser than CROWN (upper)");
            Assert.True(lossL <= allowL && lossU <= allowU, $"seed {seed}: early stop lost {lossL:G3} / {lossU:G3}, more than {allowL:G3} / {allowU:G3}");
            // Sound: every sampled output lies within the early-stopped bounds.
            var g64 = graph.To(ScalarType.Float64, null);
            var points = BruteForce.Points(lo, hi, 4000, seed);
            var y = g64.Forward(points).reshape(points.shape[0], -1);
            double slack = dtype == ScalarType.Float32 ? 1e-4 : 1e-9;
            Assert.True(y.ge(eL - slack * (1 + eL.abs())).all().ToBoolean() && y.le(eU + slack * (1 + eU.abs())).all().ToBoolean(), "an output escapes the early-stopped bounds");
        }
        Assert.True(fewer >= seeds / 2, $"early stop shortened only {fewer} of {seeds} optimisations of 60 iterations");
    }

    [Fact]
    public void Rows_already_proven_stop_the_optimisation_after_the_first_iterate()
    {
        using var scope = NewDisposeScope();
        var graph = TestNetworks.Mlp(() => new ReluOp(), 3, width: 16, layers: 2, inputs: 4, outputs: 3);
        var (lo, hi) = Box(4, 0.3, 7);
        var options = new BoundOptions { Method = BoundMethod.AlphaCrown, DType = ScalarType.Float64, AlphaIterations = 20, EarlyStopWindow = 0 };
        var engine = new BoundEngine(graph, options);
        using var crown = new BoundEngine(graph, options with { Method = BoundMethod.Crown }).Compute(lo, hi);
        var l = crown.Lower[0];
        // Targets below CROWN's bound by a clear margin: iterate 0 (CROWN's choice) proves every row.
        using var proven = engine.Compute(lo, hi, null, new SubproblemInputs { NeedUpper = false, StopWhenProved = new ProofTargets(l - 1 - l.abs(), 1e-6) });
        Assert.Equal(1, proven.RowPasses);
        Assert.True(proven.Lower.ge(l - 1e-9 * (1 + l.abs())).all().ToBoolean());
        // One target above what CROWN gives: that row is not proven, so the optimisation runs on (no stall rule here).
        var t = (l - 1 - l.abs()).clone();
        t[0] = l[0] + 1 + l[0].abs();
        using var open = engine.Compute(lo, hi, null, new SubproblemInputs { NeedUpper = false, StopWhenProved = new ProofTargets(t, 1e-6) });
        Assert.Equal(21, open.RowPasses);
        // With upper bounds asked for, proven lower rows do not stop it either (the upper rows have no targets).
        using var both = engine.Compute(lo, hi, null, new SubproblemInputs { NeedUpper = true, StopWhenProved = new ProofTargets(l - 1 - l.abs(), 1e-6) });
        Assert.Equal(21, both.RowPasses);
    }
}

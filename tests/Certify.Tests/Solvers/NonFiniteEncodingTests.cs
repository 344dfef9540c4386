using Certify.Graph;
using Certify.Operators;
using Certify.Solvers;
using Certify.Solvers.Encoding;
using Certify.Solvers.Milp;
using Certify.Solvers.Smt;
using Certify.Spec;
using static TorchSharp.torch;

namespace Certify.Tests.Solvers;

/// <summary>
/// Issue 12 (defence in depth): the exact back-ends never receive NaN/inf coefficients or bounds. Graphs with
/// non-finite parameters cannot be built any more (see Import/NonFiniteParameterTests), so the way in that is left is
/// arithmetic: a box with bounds near 1e308 whose interval bounds overflow, or outside bounds that are infinite. Each
/// must give Unknown, never Infeasible (a proof) and never a crash.
/// </summary>
public sealed class NonFiniteEncodingTests
{
    /// <summary>Only a hang guard: these models solve in milliseconds, and no asserted outcome may depend on a time limit.</summary>
    static readonly TimeSpan Limit = WorkBudgets.HangGuard;

    /// <summary>2 → Linear → Relu → Linear → 2 with weights of magnitude 2 (so 1e308 inputs overflow in the first layer).</summary>
    static ComputationGraph Net()
    {
        var b = new GraphBuilder(new long[] { 2 });
        int h = b.Add(new LinearOp(tensor(new double[] { 2, 2, 2, -2 }, new long[] { 2, 2 }), tensor(new double[] { 0, 0 })), "fc1", "", b.InputId);
        int r = b.Add(new ReluOp(), "relu", "", h);
        int y = b.Add(new LinearOp(tensor(new double[] { 1, 1, 1, -1 }, new long[] { 2, 2 }), null), "fc2", "", r);
        return b.Build(y);
    }

    static readonly double[] HugeLo = { -1e308, -1e308 }, HugeHi = { 1e308, 1e308 };

    // Unsafe: Y_0 >= 1.5, i.e. -Y_0 <= -1.5 (reachable: x = (1, 1) gives Y_0 = 8).
    static OutputCondition Unsafe() => new(new[] { new Conjunction(new[] { new HalfSpace(new[] { -1.0, 0 }, -1.5) }) });

    public static IEnumerable<object[]> Backends() => new[] { new object[] { "milp" }, new object[] { "z3" } };

    static IExactBackend Backend(string name) => name == "milp" ? new MilpBackend() : new Z3Backend();

    [Fact]
    public void EncoderRefusesBoundsThatOverflow()
    {
        var e = Assert.Throws<NonFiniteEncodingException>(() => GraphEncoder.Encode(Net(), HugeLo, HugeHi));
        Assert.Contains("not encodable with finite numbers", e.Message);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void HugeBoxGivesUnknownNotAProof(string backend)
    {
        var outcome = Backend(backend).FindViolation(Net(), new ExactQuery(HugeLo, HugeHi, Unsafe()), Limit);
        Assert.Equal(ExactStatus.Unknown, outcome.Status);
        Assert.Contains("not encodable with finite numbers", outcome.Detail);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void InfiniteOutsideLowerBoundCannotFakeAnEmptyRegion(string backend)
    {
        // A bound engine whose float32 sums overflowed could hand over lower = +inf: intersected with the encoder's own
        // finite bounds it used to look contradictory, and the region was declared empty (infeasible, a proof).
        var bounds = new IntermediateBounds().Set(1, new[] { double.PositiveInfinity, -10 }, new[] { 10.0, 10 });
        var outcome = Backend(backend).FindViolation(Net(), new ExactQuery(new[] { 0.0, 0 }, new[] { 1.0, 1 }, Unsafe(), bounds), Limit);
        Assert.Equal(ExactStatus.Unknown, outcome.Status);
    }

    [Fact]
    public void LpRelaxationAndOptimizeGiveUnknownOnHugeBox()
    {
        var (verdict, _, detail) = new LpRelaxation().Check(Net(), HugeLo, HugeHi, Unsafe(), null, Limit);
        Assert.Equal(LpRelaxation.LpVerdict.Unknown, verdict);
        Assert.Contains("not encodable", detail);
        var opt = new MilpBackend().Optimize(Net(), HugeLo, HugeHi, new[] { 1.0, 0 }, maximize: true, Limit);
        Assert.Equal(OptimumStatus.Unknown, opt.Status);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void AnUnsafeRowWhoseRightHandSideOverflowsGivesUnknown(string backend)
    {
        // Finite model, but D - margin overflows to -inf: the solver must not see it.
        var cond = new OutputCondition(new[] { new Conjunction(new[] { new HalfSpace(new[] { -1.0, 0 }, -double.MaxValue) }) });
        var outcome = Backend(backend).FindViolation(Net(), new ExactQuery(new[] { 0.0, 0 }, new[] { 1.0, 1 }, cond, RequiredMargin: double.MaxValue), Limit);
        Assert.Equal(ExactStatus.Unknown, outcome.Status);
    }

    [Fact]
    public void FiniteBoxStillDecides()
    {
        var outcome = new MilpBackend().FindViolation(Net(), new ExactQuery(new[] { 0.0, 0 }, new[] { 1.0, 1 }, Unsafe()), Limit);
        Assert.Equal(ExactStatus.Candidate, outcome.Status);
    }
}

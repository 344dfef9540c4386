using Certify.Bounds;
using Certify.Graph;
using Certify.Solvers;
using Certify.Solvers.Encoding;
using Certify.Solvers.Milp;
using Certify.Solvers.Smt;
using Certify.Spec;
using Certify.Tests.Solvers;
using Certify.Verification;
using Certify.Verification.Attack;
using Certify.Verification.Search;

namespace Certify.Tests.Verification;

/// <summary>
/// The one deadline of a run reaches every stage. No test here depends on how fast the machine is: a deadline already
/// past must stop a stage before any real work (zero iterations, no solver call), and sub-deadlines are compared as
/// instants, never against a measured duration.
/// </summary>
public class DeadlineTests
{
    static Deadline Past => Deadline.After(TimeSpan.Zero);
    static Deadline Hour => Deadline.After(TimeSpan.FromHours(1));

    // ---------------------------------------------------------------- the type

    [Fact]
    public void A_zero_span_is_past_at_once_and_none_never_passes()
    {
        Assert.True(Past.IsPast);
        Assert.Equal(TimeSpan.Zero, Past.Remaining);
        Assert.True(Deadline.After(TimeSpan.FromSeconds(-5)).IsPast);
        Assert.False(Deadline.None.IsPast);
        Assert.False(Deadline.None.HasTimeLimit);
        Assert.Equal(TimeSpan.MaxValue, Deadline.None.Remaining);
        Assert.Equal(Deadline.None, default);
        Assert.False(Deadline.After(TimeSpan.MaxValue).HasTimeLimit);     // too long for the clock: no limit, no overflow
    }

    [Fact]
    public void Sub_deadlines_never_end_later_than_their_parent()
    {
        var hour = Hour;
        Assert.False(hour.IsPast);
        Assert.InRange(hour.Remaining, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
        var half = hour.Share(0.5);
        Assert.True(half <= hour);
        Assert.True(half.Remaining <= TimeSpan.FromMinutes(30));
        Assert.True(hour.Share(2) <= hour);                                // a share above 1 is the whole
        Assert.True(hour.Within(TimeSpan.FromSeconds(1)) < hour);
        Assert.Equal(hour, hour.Within(TimeSpan.FromHours(2)));            // a longer span leaves it as it is
        Assert.True(Past.Within(TimeSpan.FromHours(1)).IsPast);
        Assert.True(Past.Share(0.5).IsPast);
        Assert.False(Deadline.None.Share(0.5).HasTimeLimit);
        Assert.True(hour <= Deadline.None && Deadline.None > hour);
        Assert.InRange(Hour.RemainingMilliseconds(), 59 * 60_000, 3_600_000);
        Assert.Equal(1, Past.RemainingMilliseconds());                     // solvers read 0 as "no limit"
    }

    [Fact]
    public void A_cancelled_token_makes_it_past_and_sub_deadlines_keep_the_token()
    {
        using var cts = new CancellationTokenSource();
        var d = Deadline.After(TimeSpan.FromHours(1), cts.Token);
        var share = d.Share(0.5);
        var open = Deadline.Cancelled(cts.Token);
        Assert.False(d.IsPast || share.IsPast || open.IsPast);
        cts.Cancel();
        Assert.True(d.IsPast && share.IsPast && open.IsPast);
        Assert.Equal(TimeSpan.Zero, d.Remaining);
        Assert.Equal(cts.Token, share.Cancellation);
    }

    // ---------------------------------------------------------------- stages given a deadline already past

    static (ComputationGraph Graph, Specification Spec, GraphReferenceModel Reference) Everywhere()
    {
        // A property violated everywhere (y0 ≤ 1e9 always holds), so any work at all would find a counterexample.
        var graph = TestNetworks.Mlp(5, 3, 8, 8, 2);
        var lo = new[] { -1.0, -1, -1 }; var hi = new[] { 1.0, 1, 1 };
        return (graph, TestNetworks.HalfSpaceSpec(lo, hi, new[] { 1.0, 0 }, 1e9), new GraphReferenceModel(graph));
    }

    [Fact]
    public void Past_its_deadline_the_attack_does_no_work()
    {
        var (graph, spec, reference) = Everywhere();
        var attack = new PgdAttack(new AttackOptions { TimeLimit = TimeSpan.FromHours(1) });
        Assert.Null(attack.Falsify(graph, new CounterexampleChecker(reference, spec), Past));
        Assert.Empty(attack.Run(graph, spec, Past));
        Assert.NotNull(attack.Falsify(graph, new CounterexampleChecker(reference, spec), Hour));   // the same call with time finds one
    }

    [Theory]
    [InlineData(SplitStrategy.InputSplit)]
    [InlineData(SplitStrategy.NeuronSplit)]
    public void Past_its_deadline_branch_and_bound_times_out_without_bounding(SplitStrategy strategy)
    {
        var (graph, spec, _) = Everywhere();
        var bab = new BranchAndBound(graph, new BabOptions { Strategy = strategy, TimeLimit = TimeSpan.FromHours(1) });
        var result = bab.Run(spec, Past);
        Assert.Equal(BabStatus.Timeout, result.Status);
        Assert.Equal(0, result.Statistics.DomainsBounded);
        Assert.Equal(0, result.Statistics.EngineCalls);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Equal(BabStatus.Timeout, bab.Run(spec, cts.Token).Status);
    }

    [Fact]
    public void Past_its_deadline_the_bound_engine_makes_no_crown_pass_and_stays_sound()
    {
        // Past the deadline alpha-CROWN neither refines nor optimises: its rows get IBP's bound (sound, looser), while with
        // time the same engine tightens them. No forward-mode prefilter, so that without refinement the bounds are IBP's.
        var graph = TestNetworks.Mlp(7, 3, 16, 16, 2);
        using var lo = TorchSharp.torch.tensor(new[] { -1.0, -1, -1 }).unsqueeze(0);
        using var hi = TorchSharp.torch.tensor(new[] { 1.0, 1, 1 }).unsqueeze(0);
        BoundEngine Engine(BoundMethod method) => new(graph, new BoundOptions
            { Method = method, DType = TorchSharp.torch.ScalarType.Float64, AlphaIterations = 50, ForwardPrefilterMaxInputSize = 0 });
        using var stopped = Engine(BoundMethod.AlphaCrown).Compute(lo, hi, null, new SubproblemInputs { OptimiseUntil = Past });
        using var ibp = Engine(BoundMethod.Ibp).Compute(lo, hi, null);
        using var optimised = Engine(BoundMethod.AlphaCrown).Compute(lo, hi, null, new SubproblemInputs { OptimiseUntil = Hour });
        Assert.Equal(ibp.Lower.data<double>().ToArray(), stopped.Lower.data<double>().ToArray());
        Assert.Equal(BoundMethod.Ibp, stopped.Method);
        Assert.True((optimised.Lower - stopped.Lower).min().item<double>() >= -1e-9);
        Assert.True((optimised.Lower - stopped.Lower).max().item<double>() > 1e-6);
        var y = TestNetworks.Forward(graph, new[] { 0.3, -0.2, 0.9 });
        for (int k = 0; k < y.Length; k++) Assert.True(stopped.Lower[0, k].item<double>() <= y[k] + 1e-9);
    }

    static ExactQuery Query(double[] lo, double[] hi) =>
        new(lo, hi, new OutputCondition(new[] { new Conjunction(new[] { new HalfSpace(new[] { 1.0, 0 }, 1e9) }) }));

    [Fact]
    public void Past_its_deadline_an_exact_backend_times_out_without_solving()
    {
        var (graph, _, _) = Everywhere();
        var q = Query(new[] { -1.0, -1, -1 }, new[] { 1.0, 1, 1 });
        foreach (IExactBackend backend in new IExactBackend[] { new MilpBackend(), new Z3Backend() })
        {
            Assert.Equal(ExactStatus.Timeout, backend.FindViolation(graph, q, Past).Status);
            Assert.Equal(ExactStatus.Candidate, backend.FindViolation(graph, q, Hour).Status);
        }
    }

    [Fact]
    public void The_milp_backend_does_not_start_an_encoding_that_cannot_end_in_time()
    {
        var (graph, _, _) = Everywhere();
        var slow = new MilpBackend { EncodingWorkPerSecond = 1e-3 };       // any network then needs far more than an hour
        Assert.True(slow.EstimatedEncodingTime(graph) > TimeSpan.FromHours(1));
        var o = slow.FindViolation(graph, Query(new[] { -1.0, -1, -1 }, new[] { 1.0, 1, 1 }), Hour);
        Assert.Equal(ExactStatus.Timeout, o.Status);
        Assert.Contains("encoding", o.Detail);
        Assert.Equal(ExactStatus.Candidate, slow.FindViolation(graph, Query(new[] { -1.0, -1, -1 }, new[] { 1.0, 1, 1 }), Deadline.None).Status);
    }

    // ---------------------------------------------------------------- what the MILP stage is given

    /// <summary>An exact back-end that records the deadlines it is given and answers "infeasible" (a proof) at once.</summary>
    sealed class RecordingBackend : IExactBackend
    {
        public List<Deadline> Given { get; } = new();
        public string Name => "recording";
        public ExactOutcome FindViolation(ComputationGraph graph, ExactQuery query, Deadline deadline)
        {
            Given.Add(deadline);
            return ExactOutcome.Infeasible("recorded");
        }
    }

    [Fact]
    public void The_exact_verifier_hands_its_own_deadline_to_the_bounds_and_the_backend()
    {
        var (graph, spec, reference) = Everywhere();
        var backend = new RecordingBackend();
        var deadline = Hour;
        var seen = new List<Deadline>();
        var v = new ExactVerifier(backend, new CounterexampleChecker(reference, spec)).Verify(graph, deadline, (_, d) => { seen.Add(d); return null; });
        Assert.Equal(VerdictKind.Unsat, v.Kind);
        Assert.Equal(new[] { deadline }, backend.Given);
        Assert.Equal(new[] { deadline }, seen);
        var late = new RecordingBackend();
        Assert.Equal(VerdictKind.Timeout, new ExactVerifier(late, new CounterexampleChecker(reference, spec)).Verify(graph, Past).Kind);
        Assert.Empty(late.Given);
    }

    /// <summary>A property that holds (just above the exact maximum of y0), so one sub-domain of branch and bound does not prove it.</summary>
    static (ComputationGraph, Specification, GraphReferenceModel) Tight()
    {
        var graph = TestNetworks.Mlp(3, 4, 12, 12, 3);
        var lo = Enumerable.Repeat(-1.0, 4).ToArray(); var hi = Enumerable.Repeat(1.0, 4).ToArray();
        var max = new MilpBackend().Optimize(graph, lo, hi, new[] { 1.0, 0, 0 }, true, WorkBudgets.HangGuard).Value;
        return (graph, TestNetworks.HalfSpaceSpec(lo, hi, new[] { -1.0, 0, 0 }, -(max + 1e-3)), new GraphReferenceModel(graph));
    }

    [Fact]
    public void The_milp_stage_gets_no_more_than_the_run_has_left()
    {
        var (graph, spec, reference) = Tight();
        var backend = new RecordingBackend();
        var options = new VerifierOptions { Attack = false, Bab = new BabOptions { MaxDomains = 1 }, ExactBackend = backend };
        var deadline = Hour;
        var report = new Verifier(graph, spec, reference, options).Run(deadline);
        Assert.Contains(report.Steps, s => s.Contains("DomainLimit"));
        Assert.NotEmpty(backend.Given);
        Assert.All(backend.Given, d => Assert.True(d <= deadline, $"the MILP stage was given {d}, the run had {deadline}"));
        Assert.Equal(VerdictKind.Unsat, report.Verdict.Kind);
    }

    [Fact]
    public void Past_its_deadline_the_verifier_starts_no_stage()
    {
        var (graph, spec, reference) = Tight();
        var backend = new RecordingBackend();
        var report = new Verifier(graph, spec, reference, new VerifierOptions { ExactBackend = backend }).Run(Past);
        Assert.Equal(VerdictKind.Timeout, report.Verdict.Kind);
        Assert.Empty(backend.Given);
    }

    [Fact]
    public void The_milp_stage_does_not_start_with_less_than_its_minimum()
    {
        var (graph, spec, reference) = Tight();
        var backend = new RecordingBackend();
        // An hour left, but the stage asks for two: it must not start.
        var options = new VerifierOptions { Attack = false, Bab = new BabOptions { MaxDomains = 1 }, ExactBackend = backend, MilpMinTime = TimeSpan.FromHours(2) };
        var report = new Verifier(graph, spec, reference, options).Run(Hour);
        Assert.Empty(backend.Given);
        Assert.NotEqual(VerdictKind.Unsat, report.Verdict.Kind);
    }
}

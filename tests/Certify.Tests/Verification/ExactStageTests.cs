using Certify.Graph;
using Certify.Exact;
using Certify.Operators;
using Certify.Solvers;
using Certify.Solvers.Encoding;
using Certify.Solvers.Milp;
using Certify.Verification;
using Certify.Verification.Search;
using BoundNets = Certify.Tests.Bounds.TestNetworks;
using SolverNets = Certify.Tests.Solvers.TestNetworks;

namespace Certify.Tests.Verification;

/// <summary>
/// The exact stage of a run (<c>verify --exact milp|smt|none</c>): which back-end it uses, and that a network the
/// back-ends cannot encode skips it before any work, so branch and bound keeps all of the time.
/// </summary>
public class ExactStageTests
{
    sealed class CountingBackend : IExactBackend
    {
        public int Calls;
        public TimeSpan Setup = TimeSpan.Zero;
        public string Name => "counting";
        public TimeSpan SetupTime(ComputationGraph graph) => Setup;
        public ExactOutcome FindViolation(ComputationGraph graph, ExactQuery query, Deadline deadline)
        {
            Calls++;
            return ExactOutcome.Unknown("counted");
        }
    }

    /// <summary>An MLP whose property MILP proves with a margin of 1e-3, which one bounded domain does not.</summary>
    static (ComputationGraph Graph, Certify.Spec.Specification Spec) Tight(ComputationGraph graph)
    {
        var lo = Enumerable.Repeat(-1.0, 4).ToArray(); var hi = Enumerable.Repeat(1.0, 4).ToArray();
        var max = new MilpBackend().Optimize(graph, lo, hi, new[] { 1.0, 0, 0 }, true, WorkBudgets.HangGuard).Value;
        return (graph, SolverNets.HalfSpaceSpec(lo, hi, new[] { -1.0, 0, 0 }, -(max + 1e-3)));
    }

    static VerifierOptions OneDomain(ExactStage stage, IExactBackend? backend = null) =>
        new() { Attack = false, Bab = new BabOptions { MaxDomains = 1 }, Exact = stage, ExactBackend = backend };

    [Fact]
    public void Smt_and_milp_both_prove_what_branch_and_bound_leaves_open_and_none_leaves_it_open()
    {
        var (graph, spec) = Tight(SolverNets.Mlp(3, 4, 8, 3));
        using var reference = new GraphReferenceModel(graph);
        var smt = new Verifier(graph, spec, reference, OneDomain(ExactStage.Smt)).Run(Deadline.After(WorkBudgets.HangGuard));
        Assert.Equal(VerdictKind.Unsat, smt.Verdict.Kind);
        Assert.Contains(smt.Steps, s => s.StartsWith("SMT (Z3)"));
        var milp = new Verifier(graph, spec, reference, OneDomain(ExactStage.Milp)).Run(Deadline.After(WorkBudgets.HangGuard));
        Assert.Equal(VerdictKind.Unsat, milp.Verdict.Kind);
        Assert.Contains(milp.Steps, s => s.StartsWith("MILP"));
        var none = new Verifier(graph, spec, reference, OneDomain(ExactStage.None)).Run(Deadline.After(WorkBudgets.HangGuard));
        Assert.NotEqual(VerdictKind.Unsat, none.Verdict.Kind);
        Assert.DoesNotContain(none.Steps, s => s.StartsWith("MILP") || s.StartsWith("SMT"));
    }

    [Fact]
    public void A_network_that_cannot_be_encoded_skips_the_exact_stage_before_any_work()
    {
        var graph = BoundNets.Mlp(() => new SigmoidOp(), seed: 4, width: 6, layers: 2, inputs: 3, outputs: 2);
        var lo = Enumerable.Repeat(-1.0, 3).ToArray(); var hi = Enumerable.Repeat(1.0, 3).ToArray();
        var spec = SolverNets.HalfSpaceSpec(lo, hi, new[] { 1.0, -1.0 }, -1e6);   // unsafe: y0 - y1 <= -1e6, never reached
        using var reference = new GraphReferenceModel(graph);
        var backend = new CountingBackend();
        var report = new Verifier(graph, spec, reference, OneDomain(ExactStage.Milp, backend)).Run(Deadline.After(WorkBudgets.HangGuard));
        Assert.Equal(0, backend.Calls);
        var skipped = Assert.Single(report.Steps, s => s.Contains("skipped"));
        Assert.Contains("(Sigmoid", skipped);
        Assert.Contains("not piecewise linear", skipped);
    }

    [Fact]
    public void A_back_end_whose_set_up_exceeds_the_time_kept_for_it_leaves_branch_and_bound_all_of_the_time()
    {
        // Branch and bound keeps 30% of a 10-minute deadline (3 min) for the exact stage: a 1-hour set-up cannot fit, a
        // 1-second one can. Either way the stage runs after branch and bound when that ends early (here: one domain).
        var (graph, spec) = Tight(SolverNets.Mlp(3, 4, 8, 3));
        using var reference = new GraphReferenceModel(graph);
        foreach (var (setup, expectAll) in new[] { (TimeSpan.FromHours(1), true), (TimeSpan.FromSeconds(1), false), (TimeSpan.Zero, false) })
        {
            var backend = new CountingBackend { Setup = setup };
            var report = new Verifier(graph, spec, reference, OneDomain(ExactStage.Milp, backend)).Run(Deadline.After(WorkBudgets.HangGuard));
            var all = report.Steps.Where(s => s.StartsWith("branch and bound gets all of the time")).ToList();
            if (expectAll) Assert.Contains("3600.0 s to set up", Assert.Single(all));
            else Assert.Empty(all);
            Assert.Equal(1, backend.Calls);
        }
        // Without a time limit nothing is kept, so nothing is skipped.
        var unlimited = new CountingBackend { Setup = TimeSpan.FromHours(1) };
        var r = new Verifier(graph, spec, reference, OneDomain(ExactStage.Milp, unlimited)).Run(Deadline.None);
        Assert.DoesNotContain(r.Steps, s => s.StartsWith("branch and bound gets all of the time"));
    }

    [Fact]
    public void Milp_set_up_time_is_its_encoding_estimate()
    {
        var graph = SolverNets.Mlp(3, 4, 8, 3);
        var milp = new MilpBackend { EncodingWorkPerSecond = 1e3 };
        Assert.Equal(milp.EstimatedEncodingTime(graph), ((IExactBackend)milp).SetupTime(graph));
        Assert.True(milp.EstimatedEncodingTime(graph) > TimeSpan.FromSeconds(100));   // at least the 1e6 fixed units / 1e3
    }

    [Fact]
    public void The_encoding_check_agrees_with_the_encoder_on_every_test_network()
    {
        var graphs = new List<(string, ComputationGraph)>
        {
            ("mlp", SolverNets.Mlp(1, 4, 8, 3)), ("conv", SolverNets.ConvNet(2)), ("pool", SolverNets.TinyPool(3)),
            ("convnet", BoundNets.ConvNet(5)), ("poolnet", BoundNets.PoolNet(6)), ("wiring", BoundNets.WiringNet(7, false)),
            ("softmax", BoundNets.WiringNet(8, true)),
        };
        foreach (var (name, make) in BoundNets.Activations()) graphs.Add((name, BoundNets.Mlp(make, 9)));
        foreach (var (name, g) in graphs)
        {
            var lo = Enumerable.Repeat(-0.5, (int)g.InputSize).ToArray(); var hi = Enumerable.Repeat(0.5, (int)g.InputSize).ToArray();
            string? encoderSays = null;
            try { GraphEncoder.Encode(g, lo, hi); }
            catch (EncodingNotSupportedException e) { encoderSays = e.Message; }
            Assert.True(encoderSays == GraphEncoder.FirstUnencodable(g), $"{name}: encoder '{encoderSays}', check '{GraphEncoder.FirstUnencodable(g)}'");
        }
    }
}

using Certify.Verification;
using Xunit.Abstractions;

namespace Certify.Tests.Verification;

/// <summary>
/// The labelled-instance regression of the default suite, one sat and one unsat instance per family of
/// <c>../shared/bench/sets/labelled.csv</c> that Certify decides in about a second (ACAS Xu and mnist_fc_2021 have their own
/// tests in <c>Search/</c>). Every verdict must equal the published label; a wrong verdict is a soundness bug, a missing
/// one a regression. The labels are read from labelled.csv, never written here.
/// <para>The budget is work (<see cref="WorkBudgets.Verifier"/>): one attack round and at most <see cref="Domains"/>
/// sub-domains of branch and bound, no MILP. With a 30 s run and a 2 s attack, the sat verdicts came from the attack
/// within its time and the unsat ones from branch and bound after the attack had spent its 2 s: on a loaded machine
/// either could run out of time. Each instance needs at most 181 sub-domains (tllverifybench 0_3) and the attack's
/// samples or first round (at most 0.35 s) for the sat ones.</para>
/// </summary>
public sealed class LabelledFamilyTests(ITestOutputHelper output)
{
    /// <summary>Sub-domains branch and bound may bound per region (each instance needs at most 181).</summary>
    const long Domains = 10_000;

    public static TheoryData<string, string> Instances() => new()
    {
        { "test_vnncomp/onnx/test_sat.onnx", "test_vnncomp/vnnlib/test_prop.vnnlib" },
        { "test_vnncomp/onnx/test_unsat.onnx", "test_vnncomp/vnnlib/test_prop.vnnlib" },
        { "eran/onnx/ffnnSIGMOID__Point_6x200.onnx", "eran/vnnlib/mnist_spec_idx_7259_eps_0.01200.vnnlib" },
        { "eran/onnx/ffnnSIGMOID__Point_6x200.onnx", "eran/vnnlib/mnist_spec_idx_56_eps_0.01200.vnnlib" },
        { "reach_prob_density/onnx/gcas.onnx", "reach_prob_density/vnnlib/gcas_1.vnnlib" },
        { "reach_prob_density/onnx/gcas.onnx", "reach_prob_density/vnnlib/gcas_7.vnnlib" },
        { "rl_benchmarks/onnx/lunarlander.onnx", "rl_benchmarks/vnnlib/lunarlander_case_safe_0.vnnlib" },
        { "rl_benchmarks/onnx/cartpole.onnx", "rl_benchmarks/vnnlib/cartpole_case_safe_62.vnnlib" },
        { "tllverifybench/onnx/tllBench_n=2_N=M=8_m=1_instance_0_1.onnx", "tllverifybench/vnnlib/property_N=8_1.vnnlib" },
        { "tllverifybench/onnx/tllBench_n=2_N=M=8_m=1_instance_0_3.onnx", "tllverifybench/vnnlib/property_N=8_3.vnnlib" },
        { "safenlp/onnx/ruarobot/perturbations_0.onnx", "safenlp/vnnlib/ruarobot/hyperrectangle_7339.vnnlib" },
        { "safenlp/onnx/ruarobot/perturbations_0.onnx", "safenlp/vnnlib/ruarobot/hyperrectangle_4825.vnnlib" },
        // Conv + AvgPool, and Conv + ReLU + MaxPool (whose root bound once took 100 s refining the ReLU output).
        { "verivital/onnx/Convnet_avgpool.onnx", "verivital/vnnlib/prop_0_0.02.vnnlib" },
        { "verivital/onnx/Convnet_maxpool.onnx", "verivital/vnnlib/prop_0_0.004.vnnlib" },
    };

    [SkippableTheory]
    [MemberData(nameof(Instances))]
    public void Verdict_equals_the_published_label(string onnx, string vnnlib)
    {
        var bench = TestPaths.RequireBench();
        var label = File.ReadLines(Path.Combine(bench, "sets", "labelled.csv")).Select(l => l.Split(','))
            .Single(p => p.Length > 4 && p[1] == onnx && p[2] == vnnlib)[4];
        var report = Verifier.Verify(Path.Combine(bench, onnx), Path.Combine(bench, vnnlib),
            WorkBudgets.Verifier(Domains));
        output.WriteLine($"{onnx} {vnnlib} ({label}): {report.Verdict} in {report.Elapsed.TotalSeconds:F1} s\n  " + string.Join("\n  ", report.Steps));
        var expected = label == "sat" ? VerdictKind.Sat : VerdictKind.Unsat;
        Assert.Equal(expected, report.Verdict.Kind);
    }
}

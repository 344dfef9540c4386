using Certify.Spec;
using Certify.Verification;
using Xunit.Abstractions;

namespace Certify.Tests.Verification;

/// <summary>
/// The networks Certify trained itself and bundles in <c>examples/mnist</c> decide as the README and the training results
/// say: the IBP-trained one is provably robust around a test digit at eps 0.1, the normally trained one is not.
/// <para>The budget is work (<see cref="WorkBudgets.Verifier"/>: one attack round, at most <see cref="Domains"/>
/// sub-domains, no MILP), not the 120 s run it had, within which the proof had to finish.</para>
/// </summary>
public sealed class ExampleModelTests(ITestOutputHelper output)
{
    /// <summary>Sub-domains branch and bound may bound.</summary>
    const long Domains = 10_000;

    static string Example(string relative) => Path.Combine(TestPaths.RepoRoot, "examples", "mnist", relative);

    VerificationReport Verify(string model, string property)
    {
        var report = Verifier.Verify(Example(model), property, WorkBudgets.Verifier(Domains));
        foreach (var s in report.Steps) output.WriteLine(s);
        return report;
    }

    [Fact]
    public void The_ibp_trained_example_is_proven_robust_at_eps_0_1()
    {
        var report = Verify("cnn-small-ibp.onnx", Example("properties/mnist_test0001_eps0.1.vnnlib"));
        Assert.Equal(VerdictKind.Unsat, report.Verdict.Kind);
    }

    [Fact]
    public void The_normally_trained_example_has_a_counterexample_that_reproduces_at_eps_0_1()
    {
        var prop = Example("properties/mnist_test0001_eps0.1.vnnlib");
        var report = Verify("cnn-small-standard.onnx", prop);
        Assert.Equal(VerdictKind.Sat, report.Verdict.Kind);
        // Independently of the verifier's own check: the point lies in the box and ONNX Runtime's output is unsafe.
        var spec = VnnLibParser.Parse(prop);
        var ce = report.Verdict.Counterexample!;
        using var ort = new OnnxReferenceModel(Example("cnn-small-standard.onnx"));
        Assert.True(spec.Regions[ce.Region].Contains(ce.X));
        Assert.True(spec.Regions[ce.Region].Unsafe.Disjuncts[ce.Disjunct].HoldsAt(ort.Run(ce.X)));
    }
}

using Certify.Spec;
using Certify.Verification;

namespace Certify.Tests.Verification;

/// <summary>
/// The networks Certify trained itself and bundles in <c>examples/mnist</c> decide as the README and the training results
/// say: the IBP-trained one is provably robust around a test digit at eps 0.1, the normally trained one is not.
/// </summary>
public sealed class ExampleModelTests
{
    static string Example(string relative) => Path.Combine(TestPaths.RepoRoot, "examples", "mnist", relative);

    [Fact]
    public void The_ibp_trained_example_is_proven_robust_at_eps_0_1()
    {
        var report = Verifier.Verify(Example("cnn-small-ibp.onnx"), Example("properties/mnist_test0001_eps0.1.vnnlib"),
            new VerifierOptions { Timeout = TimeSpan.FromSeconds(120) });
        Assert.Equal(VerdictKind.Unsat, report.Verdict.Kind);
    }

    [Fact]
    public void The_normally_trained_example_has_a_counterexample_that_reproduces_at_eps_0_1()
    {
        var prop = Example("properties/mnist_test0001_eps0.1.vnnlib");
        var report = Verifier.Verify(Example("cnn-small-standard.onnx"), prop, new VerifierOptions { Timeout = TimeSpan.FromSeconds(120) });
        Assert.Equal(VerdictKind.Sat, report.Verdict.Kind);
        // Independently of the verifier's own check: the point lies in the box and ONNX Runtime's output is unsafe.
        var spec = VnnLibParser.Parse(prop);
        var ce = report.Verdict.Counterexample!;
        using var ort = new OnnxReferenceModel(Example("cnn-small-standard.onnx"));
        Assert.True(spec.Regions[ce.Region].Contains(ce.X));
        Assert.True(spec.Regions[ce.Region].Unsafe.Disjuncts[ce.Disjunct].HoldsAt(ort.Run(ce.X)));
    }
}

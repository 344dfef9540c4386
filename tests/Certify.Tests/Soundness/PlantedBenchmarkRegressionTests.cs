using Certify.Verification;

namespace Certify.Tests.Soundness;

/// <summary>
/// The planted-v1 instances on which Certify's verifier once answered unsat although a counterexample is planted (float32
/// CROWN through Conv was wrong because of a libtorch conv_transpose bug): the verifier must now find the counterexample,
/// re-run in ONNX Runtime, and never say unsat.
/// </summary>
public sealed class PlantedBenchmarkRegressionTests
{
    [Theory]
    [InlineData("cnn_relu_0", "cnn_relu_0_a")]
    [InlineData("cnn_relu_1", "cnn_relu_1_a")]
    [InlineData("cnn_tanh_0", "cnn_tanh_0_a")]
    [InlineData("cnn_tanh_1", "cnn_tanh_1_b")]
    public void The_planted_counterexample_is_found_and_never_refuted(string network, string property)
    {
        var dir = Path.Combine(TestPaths.RepoRoot, "benchmarks", "soundness", "planted-v1");
        var report = Verifier.Verify(Path.Combine(dir, "onnx", network + ".onnx"), Path.Combine(dir, "vnnlib", property + ".vnnlib"),
            new VerifierOptions { Timeout = TimeSpan.FromSeconds(60) });
        Assert.NotEqual(VerdictKind.Unsat, report.Verdict.Kind);
        Assert.Equal(VerdictKind.Sat, report.Verdict.Kind);
    }
}

using Certify.Tests.Soundness;
using Certify.Verification;
using Certify.Verification.Proofs;
using Certify.Verification.Search;
using Xunit.Abstractions;

namespace Certify.Tests.Certificates;

/// <summary>
/// The weakened-verifier hook (<see cref="BabOptions.UnsoundDropSecondChildForTesting"/>: branch and bound drops the second
/// child of every split) on the spike benchmark's planted instance, whose property is false (it has a planted
/// counterexample, <see cref="SpikeBenchmark.Point"/>): the weakened engine answers unsat and writes a certificate, and the
/// checker must reject it, whichever split strategy produced it. Work budget: domains only.
/// </summary>
[Collection(SequentialRandomCollection.Name)]
public sealed class WeakenedCertificateTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(SplitStrategy.InputSplit)]
    [InlineData(SplitStrategy.NeuronSplit)]
    public void A_deliberately_unsound_engine_writes_a_certificate_of_a_false_property_that_the_checker_rejects(SplitStrategy strategy)
    {
        var dir = SpikeBenchmark.Create(Path.Combine(SpikeBenchmark.TempDir(), "bench"));
        var model = Path.Combine(dir, "onnx/spike.onnx");
        var property = Path.Combine(dir, "vnnlib/spike_a.vnnlib");
        var path = Path.Combine(dir, $"unsound-{strategy}.json");
        var report = CertificateFixture.Verify(model, property, path, unsound: true, strategy: strategy, maxDomains: 10_000);
        output.WriteLine($"{report.Verdict}; {report.Certificate}");
        Assert.Equal(VerdictKind.Unsat, report.Verdict.Kind);    // the weakened search claims a proof of a false property
        Assert.StartsWith("written:", report.Certificate);
        var r = CertificateFiles.Check(model, property, path, parallelism: 1);
        output.WriteLine(r.ToString());
        Assert.False(r.Accepted);
        Assert.Contains("not covered", r.Message);
    }
}

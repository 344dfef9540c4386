using Certify.Checker;
using Certify.Spec;

namespace Certify.Verification.Proofs;

/// <summary>
/// <c>certify check-certificate MODEL PROP CERT</c> as a library call: reads the network and the property, converts them
/// to the checker's plain forms, compares that network with ONNX Runtime on sample points of every region (and random
/// points of their boxes) before trusting it, hashes both files, and runs <see cref="CertificateChecker"/>.
/// </summary>
public static class CertificateFiles
{
    /// <summary>Checks <paramref name="certificatePath"/>; a certificate that cannot be read is a one-line <see cref="CertificateException"/>.</summary>
    public static CheckReport Check(string modelPath, string propertyPath, string certificatePath, int samplesPerRegion = 16, int parallelism = 0)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var certificate = Certificate.Load(certificatePath);
        var graph = Verifier.LoadModel(modelPath);
        var spec = VnnLibParser.Parse(propertyPath);
        PlainNetwork net;
        try { net = CheckerInputs.Network(graph); }
        catch (NotCheckableException e) { return Rejected(e.Message); }
        var property = CheckerInputs.Property(spec);
        using (var reference = Verifier.ReferenceFor(modelPath, graph))
        {
            var run = (IReferenceModel)reference;
            if (net.CompareWith(run.Run, SamplePoints(property, samplesPerRegion)) is { } disagreement)
                return Rejected($"the network as the checker read it disagrees with {run.Description}: {disagreement}");
        }
        return CertificateChecker.Check(certificate, net, property, CheckerInputs.Sha256(modelPath), CheckerInputs.Sha256(propertyPath), parallelism);
    }

    static CheckReport Rejected(string why) => new(false, why, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Per region: its centre, its two extreme corners and uniform random points of its box (fixed seed).</summary>
    static IEnumerable<double[]> SamplePoints(PlainProperty property, int perRegion)
    {
        var random = new Random(20261202);
        foreach (var r in property.Regions)
        {
            yield return r.Lower.Zip(r.Upper, (a, b) => a / 2 + b / 2).ToArray();
            yield return r.Lower.ToArray();
            yield return r.Upper.ToArray();
            for (int k = 0; k < perRegion; k++) yield return r.Lower.Zip(r.Upper, (a, b) => a + random.NextDouble() * (b - a)).ToArray();
        }
    }
}

using Certify.Checker;
using Certify.Graph;
using Certify.Import;
using Certify.Operators;
using Certify.Spec;
using Certify.Tests.Bounds;
using Certify.Verification;
using Certify.Verification.Proofs;
using Certify.Verification.Search;
using static TorchSharp.torch;

namespace Certify.Tests.Certificates;

/// <summary>
/// A small ReLU network (2 inputs, two hidden layers of 10, 3 outputs) written as ONNX, and a property that holds but that
/// the root bound cannot prove: min c·y over [-1, 1]² is bracketed on a dense grid, and the threshold d lies below the
/// certified lower end of the bracket, with the root CROWN bound below d (so branch and bound must split). Verified once
/// with a certificate; the tests check it and tampered copies of it. Work budgets only (domains), no wall clock.
/// </summary>
public sealed class CertificateFixture : IDisposable
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("certify-cert-").FullName;
    public string Model => Path.Combine(Folder, "net.onnx");
    public string Property => Path.Combine(Folder, "prop.vnnlib");
    public string CertificatePath => Path.Combine(Folder, "proof.json");
    public ComputationGraph Graph { get; }
    public double[] C { get; }
    public double D { get; }
    public VerificationReport Report { get; }
    public Certificate Certificate { get; }

    public CertificateFixture()
    {
        _neuron = new(() =>
        {
            var path = System.IO.Path.Combine(Folder, "neuron.json");
            var report = Verify(path, strategy: SplitStrategy.NeuronSplit);
            return (report, report.Certificate?.StartsWith("written") == true ? Certificate.Load(path) : null!, path);
        });
        for (int seed = 1; ; seed++)
        {
            var graph = TestNetworks.Mlp(() => new ReluOp(), seed, width: 10, layers: 2, inputs: 2, outputs: 3).To(ScalarType.Float32); // outlives the scope
            using var scope = NewDisposeScope();
            if (HardProperty(graph, seed) is not { } spec) continue;
            OnnxExporter.Export(graph, Model);
            VnnLibWriter.Write(spec, Property);
            Graph = graph; C = spec.Regions[0].Unsafe.Rows.First().Row.C.ToArray(); D = spec.Regions[0].Unsafe.Rows.First().Row.D;
            Report = Verify(CertificatePath);
            if (Report.Verdict.Kind != VerdictKind.Unsat) throw new InvalidOperationException($"seed {seed}: expected unsat, got {Report.Verdict}");
            Certificate = Certificate.Load(CertificatePath);
            return;
        }
    }

    /// <summary>
    /// For a network of 2 inputs and 3 outputs: a property over [-1, 1]² that holds (min c·y is bracketed on a dense grid with
    /// the network's Lipschitz constant, and d lies below the certified end) but that the root CROWN bound cannot prove (so
    /// branch and bound must split); null when the root bound proves it.
    /// </summary>
    public static Specification? HardProperty(ComputationGraph graph, int seed)
    {
        const int grid = 400;
        using var scope = NewDisposeScope();
        var gen = manual_seed(seed + 7);
        var c = randn(new long[] { 3 }, ScalarType.Float64, generator: gen).data<double>().ToArray();
        var axis = linspace(-1, 1, grid, dtype: ScalarType.Float64);
        var xs = stack(new[] { axis.repeat_interleave(grid), axis.repeat(grid) }, 1);
        var g64 = graph.To(ScalarType.Float64);
        double min = matmul(g64.Forward(xs), tensor(c)).min().item<double>();
        double lipschitz = Math.Sqrt(c.Sum(v => v * v));   // every activation here is 1-Lipschitz
        foreach (var n in g64.Nodes) if (n.Op is LinearOp lin) lipschitz *= lin.Weight.norm().item<double>();
        double certified = min - lipschitz * Math.Sqrt(2) * (2.0 / (grid - 1)) / 2;
        double d = certified - 0.02 * (1 + Math.Abs(certified));
        var spec = new Specification(new[] { new InputRegion(new[] { -1.0, -1.0 }, new[] { 1.0, 1.0 },
            new OutputCondition(new[] { new Conjunction(new[] { new HalfSpace(c, d) }) })) }, 2, 3);
        var engine = new Certify.Bounds.BoundEngine(g64, new Certify.Bounds.BoundOptions { DType = ScalarType.Float64 });
        using var root = engine.Compute(spec.Regions[0]);
        return root.Lower[0, 0].item<double>() > d ? null : spec;
    }

    static readonly Lazy<Json.Schema.JsonSchema> _schema = new(() =>
        Json.Schema.JsonSchema.FromText(File.ReadAllText(System.IO.Path.Combine(TestPaths.RepoRoot, "specs", "certificate.schema.json"))));

    /// <summary>Whether the JSON file or text <paramref name="json"/> is valid against <c>specs/certificate.schema.json</c> (read once: the schema registry keeps its id).</summary>
    public static bool ValidAgainstSchema(string json)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        return _schema.Value.Evaluate(doc.RootElement).IsValid;
    }

    /// <summary>Verifies the fixture's files, writing a certificate to <paramref name="certificate"/>.</summary>
    public VerificationReport Verify(string certificate, bool unsound = false, string? property = null, Certify.Bounds.BoundMethod? method = null,
        SplitStrategy strategy = SplitStrategy.InputSplit) => Verify(Model, property ?? Property, certificate, unsound, method, strategy);

    /// <summary>Verifies any files with the fixture's work budget (domains, no wall clock), writing a certificate.</summary>
    public static VerificationReport Verify(string model, string property, string certificate, bool unsound = false, Certify.Bounds.BoundMethod? method = null,
        SplitStrategy strategy = SplitStrategy.InputSplit, long maxDomains = 50_000) => Verifier.Verify(model, property, new VerifierOptions
    {
        Timeout = TimeSpan.FromMinutes(10), Attack = false, Exact = ExactStage.None,
        Bab = new BabOptions { Strategy = strategy, MaxDomains = maxDomains, BatchSize = 64, UnsoundDropSecondChildForTesting = unsound, Method = method },
        Certificate = new CertificateRequest(certificate, model, property),
    });

    /// <summary>The same proof by neuron splitting (beta-CROWN by default), verified on first use: its report and certificate.</summary>
    public (VerificationReport Report, Certificate Certificate, string Path) Neuron => _neuron.Value;

    readonly Lazy<(VerificationReport, Certificate, string)> _neuron;

    /// <summary>Saves <paramref name="c"/> under <paramref name="name"/> and checks it against the given files (the fixture's by default).</summary>
    public CheckReport Check(Certificate c, string name, string? model = null, string? property = null)
    {
        var path = Path.Combine(Folder, name);
        c.Save(path);
        return CertificateFiles.Check(model ?? Model, property ?? Property, path, parallelism: 1);
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}

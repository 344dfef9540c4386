using Certify.Graph;
using Certify.Import;
using Certify.Runtime;
using Certify.Soundness;
using Certify.Spec;
using static TorchSharp.torch;

namespace Certify.Tests.Soundness;

/// <summary>
/// <c>soundness generate</c> end to end on tiny settings: every written planted instance has a planted point that
/// violates its property in ONNX Runtime, and the attack (re-run here on the imported ONNX file, with another seed)
/// finds no counterexample in either box.
/// </summary>
public class GeneratorTests
{
    static readonly AttackBudget TestAttack = new(Restarts: 200, Steps: 40, RandomSamples: 4000);

    [Theory]
    [InlineData(Architecture.Mlp, Activation.Relu)]
    [InlineData(Architecture.Cnn, Activation.Tanh)]
    public void GeneratesValidPlantedInstance(Architecture arch, Activation act)
    {
        var dir = Path.Combine(SpikeBenchmark.TempDir(), "bench");
        var options = new GeneratorOptions(new[] { arch }, new[] { act }, Inputs: 9, Epsilon: 0.05, Count: 1, Seed: 7, Hidden: 16,
            Training: new TrainingOptions(Steps: 150), CheckAttack: TestAttack,
            // The control's proof is budgeted in boxes; its time limit is only the hang guard (with 10 s, a slow enough
            // machine would fail the proof and with it the generation).
            ControlProof: new ProverOptions(MaxBoxes: 200, TimeoutSeconds: WorkBudgets.HangGuard.TotalSeconds));
        var nets = new SoundnessGenerator(options).Generate(dir);
        Assert.True(nets.Single().Ok, nets.Single().Detail);

        var manifest = BenchmarkManifest.Read(BenchmarkManifest.PathIn(dir));
        Assert.Equal(2, manifest.Count);
        Assert.Equal(2, BenchmarkInstance.ReadAll(dir).Count);
        var planted = manifest.Single(e => e.IsPlanted);
        var onnx = Path.Combine(dir, planted.Onnx);
        using var ort = new OnnxRuntimeModel(onnx);
        var graph = OnnxImporter.Import(onnx);

        // The planted point is a real counterexample in ONNX Runtime.
        var spec = VnnLibParser.Parse(Path.Combine(dir, planted.Vnnlib));
        var cex = ResultFile.Read(Path.Combine(dir, planted.Counterexample));
        Assert.Equal(ResultStatus.Sat, cex.Status);
        Assert.True(spec.IsCounterexample(cex.X!, ort.Run(cex.X!)));

        // The attack misses it (and finds nothing in the control), also with a seed the generator did not use.
        foreach (var e in manifest)
        {
            var region = VnnLibParser.Parse(Path.Combine(dir, e.Vnnlib)).Regions.Single();
            var report = BudgetedAttack.Run(graph, region, TestAttack, seed: 12345);
            Assert.False(report.Found, $"{e.Kind}: attack found objective {report.BestObjective}");
        }
    }

    [Fact]
    public void BumpChangesTheNetworkOnlyNearThePoint()
    {
        manual_seed(3);
        using var net = PlantedNetwork.Create(Architecture.Mlp, Activation.Sigmoid, 4, hidden: 8);
        var safe = net.Detached();
        var p = new[] { 0.5, 0.25, 0.75, 0.5 };
        var bumped = PlantedNetwork.WithBump(safe, p, radius: 0.01, amplitude: 3);
        double Diff(ComputationGraph g, double[] x)
        {
            var y = g.Forward(tensor(x, dtype: ScalarType.Float32).unsqueeze(0)).flatten().to_type(ScalarType.Float64).data<double>().ToArray();
            return y[0] - y[1];
        }
        Assert.Equal(Diff(safe, p) - 3, Diff(bumped, p), 4);
        // Halfway out (L1 distance 0.005) the drop is half; beyond the radius nothing changes.
        var half = new[] { 0.505, 0.25, 0.75, 0.5 };
        Assert.Equal(Diff(safe, half) - 1.5, Diff(bumped, half), 3);
        var rng = new Random(1);
        for (int i = 0; i < 200; i++)
        {
            var x = Enumerable.Range(0, 4).Select(_ => rng.NextDouble()).ToArray();
            if (x.Zip(p, (a, b) => Math.Abs(a - b)).Sum() <= 0.01) continue;
            Assert.Equal(Diff(safe, x), Diff(bumped, x), 5);
        }
    }
}

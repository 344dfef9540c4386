using Certify.Bounds;
using Certify.Import;
using Certify.Spec;
using static TorchSharp.torch;

namespace Certify.Tests.Bounds;

/// <summary>Brute force on real networks from ../shared/bench: sampled points of the property's box stay within every bound.</summary>
public class BenchNetworkSoundnessTests
{
    public static TheoryData<string, string> Cases() => new()
    {
        { "acasxu/onnx/ACASXU_run2a_1_1_batch_2000.onnx", "acasxu/vnnlib/prop_1.vnnlib" },                          // ReLU, 5 inputs (+ corners)
        { "eran/onnx/ffnnSIGMOID__Point_6x200.onnx", "eran/vnnlib/mnist_spec_idx_7167_eps_0.01200.vnnlib" },         // Sigmoid
        { "verivital/onnx/Convnet_maxpool.onnx", "verivital/vnnlib/prop_0_0.02.vnnlib" },                           // Conv + MaxPool
        { "oval21_2021/onnx/cifar_base_kw.onnx", "oval21_2021/vnnlib/cifar_base_kw-img4549-eps0.00392156862745098.vnnlib" }, // Conv, asymmetric
    };

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void Sampled_points_stay_within_every_bound(string onnx, string vnnlib)
    {
        var bench = TestPaths.RequireBench();
        var graph = OnnxImporter.Import(Path.Combine(bench, onnx)).To(ScalarType.Float64);
        var region = VnnLibParser.Parse(Path.Combine(bench, vnnlib)).Regions[0];
        var (c, _) = SpecificationMatrix.FromRegion(region, (int)graph.OutputSize);
        var l = tensor(region.Lower).unsqueeze(0);
        var u = tensor(region.Upper).unsqueeze(0);
        var pts = BruteForce.Points(l, u, 1500, 7);
        foreach (var m in new[] { BoundMethod.Ibp, BoundMethod.Crown, BoundMethod.AlphaCrown })
        {
            var engine = new BoundEngine(graph, new BoundOptions { Method = m, DType = ScalarType.Float64, AlphaIterations = 5 });
            using var r = engine.Compute(l, u, c);
            double v = BruteForce.MaxViolation(graph, r, pts, c);
            Assert.True(v <= 1e-7, $"{onnx} {m}: a sampled point escapes a bound by {v}");
        }
    }
}

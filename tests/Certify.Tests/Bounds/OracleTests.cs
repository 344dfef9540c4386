using System.Text.Json;
using Certify.Bounds;
using Certify.Import;
using Certify.Operators;
using Certify.Spec;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Certify.Tests.Bounds;

/// <summary>
/// Agreement with ../shared/oracle: auto_LiRPA's float64 IBP and CROWN bounds of real instances (rows and every ReLU's
/// input bounds). Our float64 bounds, with auto_LiRPA's intermediate-bound convention, must match to 1e-6 relative.
/// </summary>
public class OracleTests(ITestOutputHelper output)
{
    const double Tolerance = 1e-6;

    public static TheoryData<string> Instances() => new(
        TestPaths.Shared is { } s ? Directory.GetFiles(Path.Combine(s, "oracle"), "*.json").Select(Path.GetFileNameWithoutExtension).Order()! : new[] { "none" });

    /// <summary>|a − b| relative to max(|b|, 1).</summary>
    static double RelErr(double a, double b) => Math.Abs(a - b) / Math.Max(Math.Abs(b), 1);

    [SkippableTheory]
    [MemberData(nameof(Instances))]
    public void Ibp_and_crown_match_auto_lirpa_in_float64(string instance)
    {
        var dir = TestPaths.RequireOracle();
        var shared = Path.GetDirectoryName(dir)!;
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, instance + ".json")));
        var root = doc.RootElement;
        var graph = OnnxImporter.Import(Path.Combine(shared, root.GetProperty("onnx").GetString()!));
        var spec = VnnLibParser.Parse(Path.Combine(shared, root.GetProperty("vnnlib").GetString()!));
        var region = spec.Regions[0];
        var relus = graph.Nodes.Where(n => n.Op is ReluOp).ToList();
        foreach (var (name, method) in new[] { ("IBP", BoundMethod.Ibp), ("CROWN", BoundMethod.Crown) })
        {
            var m = root.GetProperty("methods").GetProperty(name);
            var engine = new BoundEngine(graph, new BoundOptions { Method = method, DType = ScalarType.Float64, IntersectIntermediate = false, ForwardPrefilterMaxInputSize = 0 });
            using var r = engine.Compute(region);
            var lower = m.GetProperty("lower").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var upper = m.GetProperty("upper").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var ours = r.Lower[0].data<double>().ToArray();
            var oursU = r.Upper[0].data<double>().ToArray();
            Assert.Equal(lower.Length, ours.Length);
            double rowErr = 0;
            for (int i = 0; i < lower.Length; i++) rowErr = Math.Max(rowErr, Math.Max(RelErr(ours[i], lower[i]), RelErr(oursU[i], upper[i])));
            var pre = m.GetProperty("pre_relu").EnumerateArray().ToList();
            Assert.Equal(pre.Count, relus.Count);
            double preErr = 0;
            for (int k = 0; k < pre.Count; k++)
            {
                var iv = r.Node(relus[k].Inputs[0])!.Value;
                var lo = iv.Lower[0].flatten().data<double>().ToArray();
                var hi = iv.Upper[0].flatten().data<double>().ToArray();
                var rl = pre[k].GetProperty("lower").EnumerateArray().Select(e => e.GetDouble()).ToArray();
                var ru = pre[k].GetProperty("upper").EnumerateArray().Select(e => e.GetDouble()).ToArray();
                Assert.Equal(rl.Length, lo.Length);
                int bad = 0, badStable = 0, badL = 0, badU = 0; string ex = "";
                for (int i = 0; i < rl.Length; i++)
                {
                    double e = Math.Max(RelErr(lo[i], rl[i]), RelErr(hi[i], ru[i]));
                    preErr = Math.Max(preErr, e);
                    if (e > Tolerance) { bad++; if (rl[i] >= 0 || ru[i] <= 0) badStable++; if (RelErr(lo[i], rl[i]) > Tolerance) badL++; if (RelErr(hi[i], ru[i]) > Tolerance) badU++; if (ex.Length < 300) ex += $" [{lo[i]:G6},{hi[i]:G6}] vs [{rl[i]:G6},{ru[i]:G6}]"; }
                }
                if (bad > 0) output.WriteLine($"{instance} {name} relu {k}: {bad} bad, {badStable} stable (oracle), L {badL} U {badU}: {ex}");
            }
            output.WriteLine($"{instance} {name}: max relative error rows {rowErr:E2}, pre-ReLU {preErr:E2}");
            Assert.True(rowErr <= Tolerance, $"{instance} {name}: rows differ by {rowErr:E2} (relative)");
            Assert.True(preErr <= Tolerance, $"{instance} {name}: pre-ReLU bounds differ by {preErr:E2} (relative)");
        }
    }
}

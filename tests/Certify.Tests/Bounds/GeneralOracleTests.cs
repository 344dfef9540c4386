using System.Text.Json;
using Certify.Bounds;
using Certify.Import;
using Certify.Spec;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Certify.Tests.Bounds;

/// <summary>
/// Agreement with ../shared/oracle/general: auto_LiRPA's float64 bounds of networks whose operators are not plain ReLU
/// (sigmoid, tanh, leaky ReLU, softmax, max pooling, batch norm, sin/cos/pow/mul, a ResNet). Where a relaxation has a
/// free choice another sound implementation may be tighter or looser, so CROWN and alpha-CROWN are not compared for
/// equality; what must hold is (1) IBP equal to the oracle's where every operator is monotone (IBP is then unique),
/// and (2) every bound of every method containing the oracle's 2,000 sampled values of each row (an inner bound that
/// any sound bound contains). The CROWN and alpha-CROWN rows are printed next to auto_LiRPA's; the table with timings
/// is <c>benchmarks/bounds/</c>.
/// </summary>
public class GeneralOracleTests(ITestOutputHelper output)
{
    /// <summary>Operators whose interval image is exact per element (monotone or affine): IBP is unique over them.</summary>
    static readonly HashSet<string> Monotone = new()
    {
        "Constant", "Div", "Sub", "Add", "Flatten", "Reshape", "Gemm", "MatMul", "Conv", "BatchNormalization",
        "Relu", "LeakyRelu", "Sigmoid", "Tanh", "MaxPool",
    };

    public static TheoryData<string> Instances() => new(
        TestPaths.Shared is { } s && Directory.Exists(Path.Combine(s, "oracle", "general"))
            ? Directory.GetFiles(Path.Combine(s, "oracle", "general"), "*.json").Select(Path.GetFileNameWithoutExtension).Order()!
            : new[] { "none" });

    static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    /// <summary>|a − b| relative to max(|b|, 1).</summary>
    static double RelErr(double a, double b) => Math.Abs(a - b) / Math.Max(Math.Abs(b), 1);

    /// <summary>For each of our rows (clause by clause, in file order), the index of the oracle's row with the same clause, c and d.</summary>
    static int[] MatchRows(InputRegion region, int outputs, JsonElement oracleRows)
    {
        var theirs = oracleRows.EnumerateArray().Select(r => (Clause: r.GetProperty("clause").GetInt32(), C: Doubles(r.GetProperty("c")), D: r.GetProperty("d").GetDouble())).ToList();
        var (c, rows) = SpecificationMatrix.FromRegion(region, outputs);
        c.Dispose();
        var used = new bool[theirs.Count];
        var order = new int[rows.Count];
        Assert.Equal(theirs.Count, rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            var (clause, row) = rows[i];
            int k = Enumerable.Range(0, theirs.Count).FirstOrDefault(j => !used[j] && theirs[j].Clause == clause
                && Math.Abs(theirs[j].D - row.D) <= 1e-12 * Math.Max(1, Math.Abs(row.D)) && theirs[j].C.Zip(row.C, (a, b) => Math.Abs(a - b)).All(e => e <= 1e-12), -1);
            Assert.True(k >= 0, $"row {i} (clause {clause}, d = {row.D}) has no counterpart among the oracle's rows");
            used[k] = true;
            order[i] = k;
        }
        return order;
    }

    [SkippableTheory]
    [MemberData(nameof(Instances))]
    public void Every_bound_contains_the_samples_and_ibp_matches_on_monotone_networks(string instance)
    {
        var dir = Path.Combine(TestPaths.RequireOracle(), "general");
        var shared = Path.GetDirectoryName(Path.GetDirectoryName(dir))!;
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, instance + ".json")));
        var root = doc.RootElement;
        var graph = OnnxImporter.Import(Path.Combine(shared, root.GetProperty("onnx").GetString()!));
        var spec = VnnLibParser.Parse(Path.Combine(shared, root.GetProperty("vnnlib").GetString()!));
        var region = spec.Regions[0];
        var samples = root.GetProperty("samples");
        var methods = root.GetProperty("methods");
        // The oracle's rows in our row order: the same (clause, c, d), which the oracle does not always list in file order.
        var order = MatchRows(region, (int)graph.OutputSize, methods.GetProperty("IBP").GetProperty("rows"));
        double[] Ours(double[] theirs) => order.Select(k => theirs[k]).ToArray();
        var rowMin = Ours(Doubles(samples.GetProperty("row_min")));
        var rowMax = Ours(Doubles(samples.GetProperty("row_max")));
        bool monotone = root.GetProperty("operators").EnumerateArray().All(o => Monotone.Contains(o.GetString()!));
        var failures = new List<string>();
        foreach (var (name, method) in new[] { ("IBP", BoundMethod.Ibp), ("CROWN", BoundMethod.Crown), ("alpha-CROWN", BoundMethod.AlphaCrown) })
        {
            // A work budget, not a time limit: a few Adam steps are enough for soundness (every iterate is a bound).
            var engine = new BoundEngine(graph, new BoundOptions { Method = method, DType = ScalarType.Float64, AlphaIterations = 5 });
            using var r = engine.Compute(region);
            var lower = r.Lower[0].data<double>().ToArray();
            var upper = r.Upper[0].data<double>().ToArray();
            Assert.Equal(rowMin.Length, lower.Length);
            for (int i = 0; i < lower.Length; i++)
            {
                double slack = 1e-9 * Math.Max(1, Math.Abs(rowMin[i]) + Math.Abs(rowMax[i]));
                if (lower[i] > rowMin[i] + slack) failures.Add($"{name} row {i}: lower bound {lower[i]:G9} above the sampled minimum {rowMin[i]:G9}");
                if (upper[i] < rowMax[i] - slack) failures.Add($"{name} row {i}: upper bound {upper[i]:G9} below the sampled maximum {rowMax[i]:G9}");
            }
            if (!methods.TryGetProperty(name, out var theirs)) { output.WriteLine($"{instance} {name}: ours mean lower {lower.Average():G6} (no oracle row)"); continue; }
            var tl = Ours(Doubles(theirs.GetProperty("lower")));
            var tu = Ours(Doubles(theirs.GetProperty("upper")));
            output.WriteLine($"{instance} {name}: mean lower ours {lower.Average():G6}, auto_LiRPA {tl.Average():G6}; mean upper ours {upper.Average():G6}, auto_LiRPA {tu.Average():G6}");
            if (name == "IBP" && monotone)
            {
                double err = Enumerable.Range(0, tl.Length).Max(i => Math.Max(RelErr(lower[i], tl[i]), RelErr(upper[i], tu[i])));
                if (err > 1e-6) failures.Add($"IBP rows differ from auto_LiRPA's by {err:E2} (relative) on a network of monotone operators");
            }
        }
        Assert.True(failures.Count == 0, $"{instance}:\n" + string.Join("\n", failures.Take(20)));
    }
}

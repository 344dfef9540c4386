using System.Globalization;
using System.Text.RegularExpressions;
using Certify.Import;
using Certify.Runtime;
using Xunit.Abstractions;

namespace Certify.Tests.Import;

/// <summary>Every ONNX network of the third-party benchmarks imports (or fails with a clear unsupported-op error) and agrees with ONNX Runtime.</summary>
public class OnnxBenchAgreementTests(ITestOutputHelper output)
{
    /// <summary>
    /// For each network: 3 random inputs inside the input box of its first instance (from the vnnlib
    /// <c>(assert (&lt;= X_i v))</c>/<c>(&gt;= X_i v)</c> lines; [-1, 1] where a family has no instances). Agreement:
    /// |ours − ort| ≤ 1e-4·max(1, |ort_k|) + 1e-6·max_j |ort_j| for every output (see <see cref="AgreementResult.MaxScaledError"/>),
    /// ours = imported graph in float32.
    /// </summary>
    [SkippableFact]
    public void EveryBenchNetworkImportsAndAgreesWithOnnxRuntime()
    {
        var bench = TestPaths.RequireBench();
        var boxes = InstanceBoxes(bench);
        var failures = new List<string>();
        var blocked = new List<string>();
        int ok = 0;
        foreach (var path in ImportSurvey.FindModels(bench))
        {
            var rel = Path.GetRelativePath(bench, path);
            Certify.Graph.ComputationGraph g;
            try { g = OnnxImporter.Import(path); }
            catch (ImportException e)
            {
                // Acceptable failures name what is unsupported: an op or a form of an op. Models with several inputs
                // (OnnxMultiInputBenchTests) and graphs whose output is a constant import, so they are not among them.
                bool clear = e.Message.StartsWith(path + ":") && Regex.IsMatch(e.Message, @"node ('.*'|#\d+) \(op \w+\)");   // named, or unnamed and numbered
                (clear ? blocked : failures).Add($"{rel}: {e.Message[..Math.Min(200, e.Message.Length)]}");
                continue;
            }
            catch (Exception e) { failures.Add($"{rel}: raw {e.GetType().Name}: {e.Message}"); continue; }
            var (lo, hi) = boxes.TryGetValue(Path.GetFullPath(path), out var box) && box.lo.Length == g.InputSize
                ? box : (Enumerable.Repeat(-1.0, (int)g.InputSize).ToArray(), Enumerable.Repeat(1.0, (int)g.InputSize).ToArray());
            try
            {
                using var ort = new OnnxRuntimeModel(path);
                var r = GraphAgreement.Compare(g, ort, GraphAgreement.RandomPoints(lo, hi, 3, 5));
                if (r.MaxScaledError > 1e-4) failures.Add($"{rel}: disagrees with ONNX Runtime, scaled error {r.MaxScaledError:G3} (rel {r.MaxRelativeError:G3})");
                else ok++;
            }
            catch (Exception e) { failures.Add($"{rel}: reference comparison failed: {e.Message}"); }
        }
        output.WriteLine($"imported and agreeing: {ok}; blocked: {blocked.Count}");
        foreach (var b in blocked) output.WriteLine("blocked: " + b);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(ok >= 163, $"only {ok} networks imported (163 of 166 did on 2026-12-01, benchmarks/import/results.md)");
    }

    /// <summary>Per ONNX file, the input box of the first instance that uses it.</summary>
    static Dictionary<string, (double[] lo, double[] hi)> InstanceBoxes(string bench)
    {
        var result = new Dictionary<string, (double[], double[])>();
        foreach (var csv in Directory.EnumerateFiles(bench, "instances.csv", SearchOption.AllDirectories))
        {
            var dir = Path.GetDirectoryName(csv)!;
            foreach (var line in File.ReadLines(csv))
            {
                var parts = line.Split(',');
                if (parts.Length < 2) continue;
                var onnx = Path.GetFullPath(Path.Combine(dir, parts[0].Trim()));
                var vnnlib = Path.Combine(dir, parts[1].Trim());
                if (result.ContainsKey(onnx) || !File.Exists(vnnlib)) continue;
                if (ReadBox(vnnlib) is { } box) result[onnx] = box;
            }
        }
        return result;
    }

    static readonly Regex Bound = new(@"\(\s*assert\s*\(\s*(<=|>=)\s+X_(\d+)\s+([-+0-9.eE]+)\s*\)\s*\)", RegexOptions.Compiled);

    /// <summary>A tiny reader for the simple input-box lines only (the real VNNLIB parser lives elsewhere).</summary>
    static (double[], double[])? ReadBox(string vnnlib)
    {
        var lo = new Dictionary<int, double>(); var hi = new Dictionary<int, double>();
        foreach (Match m in Bound.Matches(File.ReadAllText(vnnlib)))
        {
            int i = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            double v = double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            (m.Groups[1].Value == "<=" ? hi : lo)[i] = v;
        }
        int n = lo.Count;
        if (n == 0 || hi.Count != n || Enumerable.Range(0, n).Any(i => !lo.ContainsKey(i) || !hi.ContainsKey(i))) return null;
        return (Enumerable.Range(0, n).Select(i => lo[i]).ToArray(), Enumerable.Range(0, n).Select(i => hi[i]).ToArray());
    }

    [SkippableFact]
    public void MarabouZooOneOpModelsImportOrGiveAClearError()
    {
        var zoo = Path.Combine(TestPaths.RequireBench(), "marabou_onnx_zoo", "layer-zoo");
        Skip.IfNot(Directory.Exists(zoo), "marabou_onnx_zoo/layer-zoo not present");
        int imported = 0;
        foreach (var path in Directory.EnumerateFiles(zoo, "*.onnx"))
        {
            try
            {
                var g = OnnxImporter.Import(path);
                using var ort = new OnnxRuntimeModel(path);
                var r = GraphAgreement.Compare(g, ort, GraphAgreement.RandomPoints(Enumerable.Repeat(-1.0, (int)g.InputSize).ToArray(), Enumerable.Repeat(1.0, (int)g.InputSize).ToArray(), 3, 2));
                Assert.True(r.MaxRelativeError <= 1e-5, $"{path}: {r.MaxRelativeError}");
                imported++;
            }
            catch (ImportException e)
            {
                output.WriteLine(e.Message);
                Assert.StartsWith(path + ":", e.Message);
                // The only expected failure: Dropout in training mode (random). A constant output imports as 0·x + c.
                Assert.True(e.Message.Contains("training mode"), e.Message);
            }
        }
        Assert.True(imported >= 22, $"only {imported} one-op models imported");
    }
}

using System.Globalization;
using Certify.Tests.Hostile;

namespace Certify.Tests.Parallel;

/// <summary>
/// A small instance list whose answers are known by hand, quick enough to run many times and through several processes:
/// the hostile corpus's network <c>y0 = relu(s·(x0 + x1))</c> on <c>[0, 1]²</c> (<see cref="GroundTruthModels"/>, as
/// <c>.nnet</c>) for scales s = 1..<paramref name="scales"/>, each with one unreachable threshold (2s + 0.5: unsat) and
/// one reachable (2s − 0.5: sat), labelled with those answers. Every verdict is found by bounds or by the attack in
/// milliseconds, so no answer depends on the machine's speed.
/// </summary>
internal static class TinyInstances
{
    /// <summary>Writes the networks, properties and <c>list.csv</c> (family,onnx,vnnlib,timeout,label) into <paramref name="dir"/>; returns the list's path.</summary>
    public static string Write(string dir, int scales = 3)
    {
        Directory.CreateDirectory(dir);
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var rows = new List<string> { "family,onnx,vnnlib,timeout,label" };
        for (int s = 1; s <= scales; s++)
        {
            File.WriteAllText(Path.Combine(dir, $"net{s}.nnet"), GroundTruthModels.NNet(s));
            foreach (var (threshold, label) in new[] { (2.0 * s + 0.5, "unsat"), (2.0 * s - 0.5, "sat") })
            {
                var prop = $"s{s}_y0_ge_{F(threshold)}.vnnlib";
                File.WriteAllText(Path.Combine(dir, prop), GroundTruthModels.Property($"(>= Y_0 {F(threshold)})"));
                rows.Add($"{(s % 2 == 0 ? "even" : "odd")},net{s}.nnet,{prop},60,{label}");
            }
        }
        var list = Path.Combine(dir, "list.csv");
        File.WriteAllLines(list, rows);
        return list;
    }

    /// <summary>The rows of a results file without the time column: what two runs of one list must agree on.</summary>
    public static List<string> Verdicts(string resultsFile) =>
        File.ReadAllLines(resultsFile).Select(l => l.Split(',')).Select(f => string.Join(',', f.Take(4).Concat(f.Skip(5)))).ToList();
}

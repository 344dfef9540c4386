using System.Globalization;
using Certify.Verification.Benchmarks;

namespace Certify.Soundness;

/// <summary>What the generator knows about one instance (kept in the private <c>counterexamples/</c> folder).</summary>
/// <param name="Vnnlib">The property file, relative to the benchmark folder (the instance key, as in instances.csv).</param>
/// <param name="Onnx">The network file, relative to the benchmark folder.</param>
/// <param name="Kind"><c>planted</c> (a counterexample was planted) or <c>control</c> (none was).</param>
/// <param name="Expected"><c>sat</c> for planted instances; <c>unsat</c> for controls the bound engine proved, else <c>unknown</c>.</param>
/// <param name="Counterexample">The planted point's file relative to the benchmark folder (a sat result file), or empty.</param>
/// <param name="PlantedObjective">Violation objective at the planted point in ONNX Runtime (≤ 0 violates), NaN for controls.</param>
/// <param name="AttackBudget">The attack run by the generator's check.</param>
/// <param name="AttackBestObjective">Smallest objective that attack reached (&gt; 0: it found no counterexample).</param>
/// <param name="ProofBoxes">Boxes the control proof bounded (0 for planted instances).</param>
public sealed record ManifestEntry(string Vnnlib, string Onnx, string Kind, string Expected, string Counterexample,
    double PlantedObjective, string AttackBudget, double AttackBestObjective, int ProofBoxes)
{
    /// <summary>True for instances with a planted counterexample.</summary>
    public bool IsPlanted => Kind == BenchmarkManifest.Planted;
}

/// <summary>
/// The private manifest of a generated soundness benchmark, <c>counterexamples/manifest.csv</c>: which instances carry a
/// planted counterexample, where it is, and what the generator's checks measured. The public instance files
/// (<c>onnx/</c>, <c>vnnlib/</c>, <c>instances.csv</c>) do not reveal any of it.
/// </summary>
public static class BenchmarkManifest
{
    public const string Planted = "planted";
    public const string Control = "control";
    /// <summary>The private folder inside a benchmark.</summary>
    public const string Folder = "counterexamples";
    /// <summary>The manifest's file name inside <see cref="Folder"/>.</summary>
    public const string FileName = "manifest.csv";
    const string Header = "vnnlib,onnx,kind,expected,counterexample,planted_objective,attack_budget,attack_best_objective,proof_boxes";

    /// <summary>The manifest path of benchmark folder <paramref name="dir"/>.</summary>
    public static string PathIn(string dir) => System.IO.Path.Combine(dir, Folder, FileName);

    /// <summary>Writes the manifest (through the one CSV writer, so an attack budget's commas are quoted, not lost).</summary>
    public static void Write(string path, IEnumerable<ManifestEntry> entries) =>
        CsvLines.WriteAll(path, Header.Split(','), entries.Select(e => new[]
        {
            e.Vnnlib, e.Onnx, e.Kind, e.Expected, e.Counterexample, Num(e.PlantedObjective), e.AttackBudget, Num(e.AttackBestObjective),
            e.ProofBoxes.ToString(CultureInfo.InvariantCulture),
        }));

    /// <summary>Reads a manifest; an absent file gives an empty list (a benchmark without planted knowledge).</summary>
    /// <exception cref="FormatException">a malformed line, naming the file and line.</exception>
    public static IReadOnlyList<ManifestEntry> Read(string path)
    {
        if (!File.Exists(path)) return Array.Empty<ManifestEntry>();
        var table = CsvTable.Read(path, _ => true);
        var result = new List<ManifestEntry>();
        foreach (var f in table.Rows)
        {
            if (f.Count != 9 || (f[2] != Planted && f[2] != Control))
                throw table.Error(f, $"expected 9 fields ({Header}) with kind planted or control");
            try
            {
                result.Add(new ManifestEntry(f[0], f[1], f[2], f[3], f[4], Parse(f[5]), f[6], Parse(f[7]), int.Parse(f[8], CultureInfo.InvariantCulture)));
            }
            catch (FormatException e) { throw table.Error(f, e.Message); }
        }
        return result;
    }

    static string Num(double v) => double.IsNaN(v) ? "nan" : v.ToString("R", CultureInfo.InvariantCulture);
    static double Parse(string s) => s == "nan" ? double.NaN : double.Parse(s, CultureInfo.InvariantCulture);
}

/// <summary>One line of a VNN-COMP <c>instances.csv</c>: network, property and time limit, paths relative to the benchmark.</summary>
public sealed record BenchmarkInstance(string Onnx, string Vnnlib, double TimeoutSeconds)
{
    /// <summary>Reads <c>instances.csv</c> of benchmark folder <paramref name="dir"/>.</summary>
    /// <exception cref="FormatException">a line without the network and property or with a bad time limit, naming the file and line.</exception>
    /// <exception cref="FileNotFoundException">no instances.csv.</exception>
    public static IReadOnlyList<BenchmarkInstance> ReadAll(string dir)
    {
        var path = System.IO.Path.Combine(dir, "instances.csv");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no instances.csv (expected VNN-COMP layout: onnx/, vnnlib/, instances.csv)", path);
        // The one instance-list reader; the benchmark folder is the root its paths start from.
        return InstanceList.Load(path, dir).Select(i => new BenchmarkInstance(i.OnnxEntry, i.VnnlibEntry, i.TimeoutSeconds)).ToList();
    }

    /// <summary>Writes <c>instances.csv</c> into <paramref name="dir"/> (no header, as VNN-COMP's).</summary>
    public static void WriteAll(string dir, IEnumerable<BenchmarkInstance> instances) =>
        CsvLines.WriteAll(System.IO.Path.Combine(dir, "instances.csv"), null,
            instances.Select(i => new[] { i.Onnx, i.Vnnlib, i.TimeoutSeconds.ToString(CultureInfo.InvariantCulture) }));
}

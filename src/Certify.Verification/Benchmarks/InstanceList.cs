using System.Globalization;

namespace Certify.Verification.Benchmarks;

/// <summary>One verification instance of a benchmark list, with its published label when one is known.</summary>
/// <param name="Family">Benchmark family (folder name or the list's <c>family</c> column).</param>
/// <param name="Onnx">Absolute path of the network.</param>
/// <param name="Vnnlib">Absolute path of the property.</param>
/// <param name="TimeoutSeconds">The instance's time limit.</param>
/// <param name="Label">Published answer (sat / unsat), or null when unknown.</param>
public sealed record Instance(string Family, string Onnx, string Vnnlib, double TimeoutSeconds, string? Label)
{
    /// <summary>Line of the list this instance came from (1-based; 0 when not read from a list), so errors can name it.</summary>
    public int Line { get; init; }

    /// <summary>File name of the network without extension.</summary>
    public string Network => Path.GetFileNameWithoutExtension(Onnx);
    /// <summary>File name of the property without extension.</summary>
    public string Property => Path.GetFileNameWithoutExtension(Vnnlib);
}

/// <summary>
/// Reads VNN-COMP instance lists: either the competition's <c>instances.csv</c> (rows <c>onnx,vnnlib,timeout</c>, no
/// header, paths relative to the family folder; labels come from <c>published_results.csv</c> beside it), or a list with a
/// header naming <c>onnx</c>, <c>vnnlib</c>, <c>timeout</c> and optionally <c>family</c> and <c>label</c> (like
/// <c>sets/labelled.csv</c>, whose paths are relative to the benchmark root above it).
/// </summary>
public static class InstanceList
{
    /// <summary>Longest instance time limit accepted: 10^7 s (about 115 days), as for the CLI's own time options; more is a typo.</summary>
    public const double MaxTimeoutSeconds = 1e7;

    /// <summary>Time limit of a list without a timeout column (a header list that names none).</summary>
    public const double DefaultTimeoutSeconds = 60;

    /// <summary>Loads a list. <paramref name="root"/> overrides the folder that relative paths start from.</summary>
    /// <exception cref="FormatException">
    /// on a malformed row (file and line named), including a time limit that is missing, not a number, not positive or
    /// absurdly large: 0, -5 and <c>abc</c> were once read as 60 s or as an instant timeout without a word.
    /// </exception>
    public static IReadOnlyList<Instance> Load(string csvPath, string? root = null)
    {
        var lines = Certify.IO.InputFile.ReadAllLines(csvPath, Certify.IO.InputFile.MaxListBytes, problem => new FormatException($"{csvPath}: {problem}")).Select((text, i) => (text: text.Trim(), line: i + 1)).Where(l => l.text.Length > 0).ToList();
        if (lines.Count == 0) return Array.Empty<Instance>();
        var dir = Path.GetDirectoryName(Path.GetFullPath(csvPath))!;
        var header = lines[0].text.Split(',').Select(h => h.Trim().ToLowerInvariant()).ToArray();
        bool hasHeader = header.Contains("onnx") && header.Contains("vnnlib");
        int iOnnx = hasHeader ? Array.IndexOf(header, "onnx") : 0;
        int iVnn = hasHeader ? Array.IndexOf(header, "vnnlib") : 1;
        int iTime = hasHeader ? Array.IndexOf(header, "timeout") : 2;
        int iFamily = hasHeader ? Array.IndexOf(header, "family") : -1;
        int iLabel = hasHeader ? Array.IndexOf(header, "label") : -1;
        var rows = hasHeader ? lines.Skip(1).ToList() : lines;
        if (rows.Count == 0) return Array.Empty<Instance>();

        var first = rows[0].text.Split(',');
        string baseDir = root ?? ResolveRoot(dir, first[iOnnx].Trim());
        var labels = iLabel < 0 ? PublishedLabels(Path.Combine(dir, "published_results.csv")) : null;
        string defaultFamily = Path.GetFileName(baseDir);

        var list = new List<Instance>();
        foreach (var (text, line) in rows)
        {
            var f = text.Split(',');
            if (f.Length <= Math.Max(iOnnx, iVnn))
                throw new FormatException($"{csvPath}:{line}: expected at least onnx,vnnlib columns, got '{text}'");
            string onnx = f[iOnnx].Trim(), vnn = f[iVnn].Trim();
            double timeout = iTime < 0 ? DefaultTimeoutSeconds : Timeout(csvPath, line, f, iTime);
            string family = iFamily >= 0 && iFamily < f.Length ? f[iFamily].Trim() : defaultFamily;
            string? label = iLabel >= 0 && iLabel < f.Length ? Normalise(f[iLabel]) : labels?.GetValueOrDefault((onnx, vnn));
            list.Add(new Instance(family, Path.GetFullPath(Path.Combine(baseDir, onnx)), Path.GetFullPath(Path.Combine(baseDir, vnn)), timeout, label) { Line = line });
        }
        return list;
    }

    /// <summary>The time limit in column <paramref name="i"/>: a finite number of seconds in (0, <see cref="MaxTimeoutSeconds"/>].</summary>
    static double Timeout(string csvPath, int line, string[] f, int i)
    {
        if (i >= f.Length || f[i].Trim().Length == 0) throw new FormatException($"{csvPath}:{line}: no timeout (expected onnx,vnnlib,timeout_seconds)");
        var text = f[i].Trim();
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) || !double.IsFinite(t))
            throw new FormatException($"{csvPath}:{line}: timeout '{text}' is not a number of seconds");
        if (t <= 0 || t > MaxTimeoutSeconds)
            throw new FormatException($"{csvPath}:{line}: timeout {text}: expected a number of seconds in (0, {MaxTimeoutSeconds:G}]");
        return t;
    }

    /// <summary>The list's folder when its paths resolve there, else the parent (lists in <c>sets/</c> name paths from the bench root).</summary>
    static string ResolveRoot(string dir, string firstPath)
    {
        if (File.Exists(Path.Combine(dir, firstPath))) return dir;
        var parent = Path.GetDirectoryName(dir);
        return parent is not null && File.Exists(Path.Combine(parent, firstPath)) ? parent : dir;
    }

    /// <summary>sat / unsat labels from a <c>published_results.csv</c> (other labels such as unknown or CONFLICT are dropped).</summary>
    static Dictionary<(string, string), string>? PublishedLabels(string path)
    {
        if (!File.Exists(path)) return null;
        var lines = Certify.IO.InputFile.ReadAllLines(path, Certify.IO.InputFile.MaxListBytes, problem => new FormatException($"{path}: {problem}"));
        if (lines.Length == 0) return null;
        var h = lines[0].Split(',').Select(x => x.Trim().ToLowerInvariant()).ToArray();
        int o = Array.IndexOf(h, "onnx"), v = Array.IndexOf(h, "vnnlib"), l = Array.IndexOf(h, "label");
        if (o < 0 || v < 0 || l < 0) return null;
        var map = new Dictionary<(string, string), string>();
        foreach (var line in lines.Skip(1))
        {
            var f = line.Split(',');
            if (f.Length <= Math.Max(o, Math.Max(v, l))) continue;
            if (Normalise(f[l]) is { } label) map[(f[o].Trim(), f[v].Trim())] = label;
        }
        return map;
    }

    static string? Normalise(string label) => label.Trim().ToLowerInvariant() switch
    {
        "sat" or "violated" => "sat",
        "unsat" or "holds" => "unsat",
        _ => null,
    };
}

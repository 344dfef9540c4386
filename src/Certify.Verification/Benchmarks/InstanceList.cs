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

    /// <summary>The network's path as the list writes it (relative to the list's root), e.g. for VNN-COMP's <c>results.csv</c>.</summary>
    public string OnnxEntry { get; init; } = "";

    /// <summary>The property's path as the list writes it.</summary>
    public string VnnlibEntry { get; init; } = "";

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
        var table = CsvTable.Read(csvPath, IsListHeader);
        if (table.Rows.Count == 0) return Array.Empty<Instance>();
        var dir = Path.GetDirectoryName(Path.GetFullPath(csvPath))!;
        bool hasHeader = table.Header is not null;
        int iOnnx = hasHeader ? table.Column("onnx") : 0;
        int iVnn = hasHeader ? table.Column("vnnlib") : 1;
        int iTime = hasHeader ? table.Column("timeout") : 2;
        int iFamily = table.Column("family"), iLabel = table.Column("label");

        string baseDir = root ?? ResolveRoot(dir, table.Rows[0][iOnnx]);
        var labels = iLabel < 0 ? PublishedLabels(Path.Combine(dir, "published_results.csv")) : null;
        string defaultFamily = Path.GetFileName(baseDir);

        var list = new List<Instance>();
        foreach (var row in table.Rows)
        {
            string onnx = row[iOnnx], vnn = row[iVnn];
            if (onnx.Length == 0 || vnn.Length == 0)
                throw table.Error(row, $"expected at least onnx,vnnlib columns, got '{string.Join(',', row.Fields)}'");
            double timeout = iTime < 0 ? DefaultTimeoutSeconds : Timeout(table, row, iTime);
            string family = iFamily >= 0 && row[iFamily].Length > 0 ? row[iFamily] : defaultFamily;
            string? label = iLabel >= 0 ? Normalise(row[iLabel]) : labels?.GetValueOrDefault((onnx, vnn));
            list.Add(new Instance(family, Path.GetFullPath(Path.Combine(baseDir, onnx)), Path.GetFullPath(Path.Combine(baseDir, vnn)), timeout, label)
            { Line = row.Line, OnnxEntry = onnx, VnnlibEntry = vnn });
        }
        return list;
    }

    /// <summary>A list's header names both the network and the property column (a VNN-COMP instances.csv has none).</summary>
    static bool IsListHeader(IReadOnlyList<string> names) => names.Contains("onnx") && names.Contains("vnnlib");

    /// <summary>The time limit in column <paramref name="i"/>: a finite number of seconds in (0, <see cref="MaxTimeoutSeconds"/>].</summary>
    static double Timeout(CsvTable table, CsvRow row, int i)
    {
        var text = row[i];
        if (text.Length == 0) throw table.Error(row, "no timeout (expected onnx,vnnlib,timeout_seconds)");
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) || !double.IsFinite(t))
            throw table.Error(row, $"timeout '{text}' is not a number of seconds");
        if (t <= 0 || t > MaxTimeoutSeconds)
            throw table.Error(row, $"timeout {text}: expected a number of seconds in (0, {MaxTimeoutSeconds:G}]");
        return t;
    }

    /// <summary>The list's folder when its paths resolve there, else the parent (lists in <c>sets/</c> name paths from the bench root).</summary>
    static string ResolveRoot(string dir, string firstPath)
    {
        if (File.Exists(Path.Combine(dir, firstPath))) return dir;
        var parent = Path.GetDirectoryName(dir);
        return parent is not null && File.Exists(Path.Combine(parent, firstPath)) ? parent : dir;
    }

    /// <summary>
    /// sat / unsat labels from a <c>published_results.csv</c> (header with <c>onnx</c>, <c>vnnlib</c>, <c>label</c>), keyed by
    /// the two paths as the list writes them; other labels such as unknown or CONFLICT are dropped. Null when the file is
    /// absent or names none of those columns.
    /// </summary>
    /// <exception cref="CsvFormatException">the file exists but cannot be read as CSV.</exception>
    public static Dictionary<(string Onnx, string Vnnlib), string>? PublishedLabels(string path)
    {
        if (!File.Exists(path)) return null;
        var table = CsvTable.Read(path, _ => true);
        int o = table.Column("onnx"), v = table.Column("vnnlib"), l = table.Column("label");
        if (o < 0 || v < 0 || l < 0) return null;
        var map = new Dictionary<(string, string), string>();
        foreach (var row in table.Rows)
            if (Normalise(row[l]) is { } label) map[(row[o], row[v])] = label;
        return map;
    }

    /// <summary>A label word as Certify counts it: sat (also VNN-COMP's violated), unsat (holds), else null.</summary>
    public static string? Normalise(string label) => label.Trim().ToLowerInvariant() switch
    {
        "sat" or "violated" => "sat",
        "unsat" or "holds" => "unsat",
        _ => null,
    };
}

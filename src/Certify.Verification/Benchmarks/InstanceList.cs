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

    /// <summary>
    /// The network's name, which with <see cref="Family"/> and <see cref="Property"/> identifies the instance in every
    /// results file, resume, merge, comparison and output file name: its path below the family's <c>onnx/</c> folder
    /// without extension (<see cref="NameOf"/>), e.g. <c>medical/perturbations_0</c>, or the file name without
    /// extension when the list entry does not start with such a folder. Set explicitly only for an instance rebuilt
    /// from a results row (<c>certify merge</c>), whose names are all it has.
    /// </summary>
    public string Network { get => field ?? NameOf(OnnxEntry, "onnx", Onnx); init; }

    /// <summary>The property's name: its path below the family's <c>vnnlib/</c> folder without extension, as <see cref="Network"/>.</summary>
    public string Property { get => field ?? NameOf(VnnlibEntry, "vnnlib", Vnnlib); init; }

    /// <summary>
    /// The name of a network or property whose list entry is <paramref name="entry"/> and full path <paramref name="path"/>:
    /// the entry's part below <paramref name="folder"/> (<c>onnx</c> or <c>vnnlib</c>) without extension, when the entry
    /// starts with that folder (a VNN-COMP <c>instances.csv</c>: <c>onnx/medical/x.onnx</c>) or with a family folder and
    /// then it (a <c>sets/*.csv</c> list: <c>safenlp/onnx/medical/x.onnx</c>); otherwise the file name without extension.
    /// <para>Names were once the file names alone. safenlp keeps its networks and properties in subfolders
    /// (<c>onnx/medical/perturbations_0.onnx</c> and <c>onnx/ruarobot/perturbations_0.onnx</c>, the properties likewise),
    /// so two different instances had the same three names: <c>run --resume</c> skipped one of each such pair as done,
    /// and merges and tables conflated them. A file directly in the folder keeps its old name, so results files of every
    /// family without subfolders read exactly as before. An entry with a <c>.</c> or <c>..</c> segment below the folder
    /// falls back to the file name (such a path is not a folder's plain layout).</para>
    /// </summary>
    public static string NameOf(string entry, string folder, string path)
    {
        var parts = entry.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).SkipWhile(p => p == ".").ToArray();
        int below = parts.Length > 1 && parts[0] == folder ? 1 : parts.Length > 2 && parts[1] == folder ? 2 : -1;
        if (below < 0 || parts[below..].Any(p => p is "." or "..")) return Path.GetFileNameWithoutExtension(path);
        return string.Join('/', parts[below..^1].Append(Path.GetFileNameWithoutExtension(parts[^1])));
    }
}

/// <summary>
/// Reads VNN-COMP instance lists: either the competition's <c>instances.csv</c> (rows <c>onnx,vnnlib,timeout</c>, no
/// header, paths relative to the family folder; labels come from <c>published_results.csv</c> beside it), or a list with a
/// header naming <c>onnx</c>, <c>vnnlib</c>, <c>timeout</c> and optionally <c>family</c> and <c>label</c> (like
/// <c>sets/labelled.csv</c>, whose paths are relative to the benchmark root above it).
/// <para>A header list may also name <c>network</c> and <c>property</c> columns: the instance's names
/// (<see cref="Instance.Network"/>), where the paths alone would not give them. The list <c>run --jobs</c> writes for its
/// workers names every file by its absolute path and so carries the names this way; a worker's rows then match the
/// parent's instances.</para>
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
        int iNetwork = table.Column("network"), iProperty = table.Column("property");

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
            var inst = new Instance(family, Path.GetFullPath(Path.Combine(baseDir, onnx)), Path.GetFullPath(Path.Combine(baseDir, vnn)), timeout, label)
            { Line = row.Line, OnnxEntry = onnx, VnnlibEntry = vnn };
            if (row[iNetwork].Length > 0) inst = inst with { Network = row[iNetwork] };
            if (row[iProperty].Length > 0) inst = inst with { Property = row[iProperty] };
            list.Add(inst);
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

using System.Security.Cryptography;
using System.Text;
using Certify.Spec;

namespace Certify.Verification.Benchmarks;

/// <summary>
/// The folder of <c>certify run --out-dir DIR</c>: one VNN-COMP result file per instance (<c>specs/result-file.md</c>),
/// the word on the first line and, for sat, the counterexample as <c>((X_0 v) ... (Y_0 v))</c>, so that any checker
/// (<c>certify check-result</c>, VNN-COMP's own scripts) can confirm a sat answer after the run, and a results CSV row
/// has its evidence beside it.
/// <para>Names are deterministic, from family, network and property: <c>FAMILY__NETWORK__PROPERTY.txt</c> with the
/// folder separator of a name (<c>medical/perturbations_0</c>, <see cref="Instance.Network"/>) written as <c>+</c> and
/// every other character outside <c>[A-Za-z0-9._-]</c> replaced by <c>_</c>: <c>+</c> comes from <c>/</c> only, so
/// <c>a/b</c> and <c>a_b</c> stay apart. Two instances that would still share a name (the same three names from a list
/// that does not follow the family layout, or names that differ only in replaced characters) get, in list order, the plain name
/// and then the name with <c>-</c> and the first 8 hex digits of the SHA-256 of their two list entries, so that a rerun
/// of the same list writes the same files.</para>
/// </summary>
public sealed class ResultFolder
{
    readonly Dictionary<Instance, string> _names = new(ReferenceEqualityComparer.Instance);

    /// <summary>Plans the names of <paramref name="instances"/> in <paramref name="folder"/> (nothing is written yet).</summary>
    public ResultFolder(string folder, IEnumerable<Instance> instances)
    {
        Folder = folder;
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var inst in instances)
        {
            var name = BaseName(inst);
            if (!used.Add(name))
            {
                var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(inst.OnnxEntry + "\n" + inst.VnnlibEntry + "\n" + inst.Onnx + "\n" + inst.Vnnlib)))[..8];
                name = name[..^4] + "-" + hash + ".txt";
                for (int k = 2; !used.Add(name); k++) name = name[..^4] + "-" + k + ".txt";
            }
            _names[inst] = name;
        }
    }

    /// <summary>The folder.</summary>
    public string Folder { get; }

    /// <summary><c>FAMILY__NETWORK__PROPERTY.txt</c> with <c>/</c> as <c>+</c> and other unsafe characters replaced.</summary>
    public static string BaseName(Instance inst) => $"{Safe(inst.Family)}__{Safe(inst.Network)}__{Safe(inst.Property)}.txt";

    /// <summary>The result file of <paramref name="inst"/> (one of the instances the folder was planned for).</summary>
    public string PathOf(Instance inst) => Path.Combine(Folder, _names.TryGetValue(inst, out var n) ? n : BaseName(inst));

    /// <summary>
    /// Writes the result of <paramref name="inst"/>: <paramref name="word"/> (sat, unsat, unknown, timeout or error) and,
    /// for sat, the counterexample. The file is written beside its final name and then moved there, so that a run killed
    /// while writing leaves either the old file or the complete new one.
    /// </summary>
    public void Write(Instance inst, string word, double[]? x, double[]? y)
    {
        var status = word switch
        {
            "sat" => ResultStatus.Sat,
            "unsat" => ResultStatus.Unsat,
            "unknown" => ResultStatus.Unknown,
            "timeout" => ResultStatus.Timeout,
            _ => ResultStatus.Error,
        };
        var path = PathOf(inst);
        var temp = path + $".{Environment.ProcessId}.tmp";
        try
        {
            ResultFile.Write(temp, status, status == ResultStatus.Sat ? x : null, status == ResultStatus.Sat ? y : null);
            File.Move(temp, path, overwrite: true);
        }
        finally { File.Delete(temp); }
    }

    static string Safe(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s) sb.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : c == '/' ? '+' : '_');
        return sb.Length == 0 ? "_" : sb.ToString();
    }
}

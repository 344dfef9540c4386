using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Certify.Verification.Benchmarks;

namespace Certify.Verification.Proofs;

/// <summary>One instance of <c>certify run --certificate-dir DIR</c>, as its index records it.</summary>
/// <param name="Family">Benchmark family (as in the results file).</param>
/// <param name="Network">The network's name (<see cref="Instance.Network"/>).</param>
/// <param name="Property">The property's name (<see cref="Instance.Property"/>).</param>
/// <param name="Onnx">Full path of the network the instance was verified on.</param>
/// <param name="Vnnlib">Full path of the property.</param>
/// <param name="Result">The run's counted result (sat, unsat, unknown, timeout, error).</param>
/// <param name="Seconds">Verification time (as in the results file).</param>
/// <param name="Certificate">The certificate's file name inside the folder, or empty when none was written.</param>
/// <param name="Leaves">Leaves of the written certificate (0 when none).</param>
/// <param name="Note">"written", or why there is no certificate ("not checkable: ...", "not unsat").</param>
/// <param name="Line">Line of the index the row came from (0 when not read).</param>
public sealed record CertificateEntry(string Family, string Network, string Property, string Onnx, string Vnnlib, string Result,
    double Seconds, string Certificate, long Leaves, string Note, int Line = 0)
{
    /// <summary>The instance key, as results files match rows.</summary>
    public (string, string, string) Key => (Family, Network, Property);

    /// <summary>
    /// The instance itself: its two files. Two instances of a list whose paths do not follow a family's onnx/ and
    /// vnnlib/ folders may share <see cref="Key"/> (names then fall back to the file names); the index tells them apart
    /// by their paths.
    /// </summary>
    public (string, string) Files => (Onnx, Vnnlib);
}

/// <summary>
/// The index of a certificate folder (<c>certify run --certificate-dir DIR</c>): <c>DIR/certificates.csv</c>, one row per
/// finished instance, appended and flushed as it finishes (so an interrupted run keeps its rows, and <c>--resume</c>
/// appends; when an instance (its two paths) appears twice the last row counts). It holds what <c>certify check-certificate --certificate-dir</c>
/// needs to check every certificate in one process without the instance list: the full paths of the network and the
/// property, the verification time (for the ratio checking / verifying), the certificate's file name and leaves, and,
/// for an unsat without a certificate, why ("not checkable: ...").
/// <para>Certificate names are the <c>--out-dir</c> result files' (<see cref="ResultFolder"/>: deterministic, from
/// family, network and property, collisions disambiguated by a hash) with <c>.cert.json.gz</c> for <c>.txt</c>:
/// <c>FAMILY__NETWORK__PROPERTY.cert.json.gz</c> (gzip-compressed JSON, <c>specs/certificate.md</c>).</para>
/// </summary>
public static class CertificateIndex
{
    /// <summary>The index's file name inside the folder.</summary>
    public const string FileName = "certificates.csv";

    /// <summary>The index's header.</summary>
    public const string Header = "family,network,property,onnx,vnnlib,result,seconds,certificate,leaves,note";

    /// <summary>The certificate path of <paramref name="inst"/> in <paramref name="folder"/> (planned for the run's instances).</summary>
    public static string CertificatePath(ResultFolder folder, Instance inst)
    {
        var txt = folder.PathOf(inst);
        return txt[..^".txt".Length] + ".cert.json.gz";
    }

    static readonly Regex Written = new(@"^written: .* \((\d+) leaves\)$", RegexOptions.CultureInvariant);

    /// <summary>
    /// The index row of a finished instance: <paramref name="reportCertificate"/> is the report's certificate line
    /// ("written: FILE (N leaves)", "not checkable: why", or null).
    /// </summary>
    public static CertificateEntry Entry(Instance inst, string result, double seconds, string certificatePath, string? reportCertificate)
    {
        string file = "", note;
        long leaves = 0;
        if (reportCertificate is { } c && Written.Match(c) is { Success: true } m && File.Exists(certificatePath))
        {
            file = Path.GetFileName(certificatePath);
            leaves = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            note = "written";
        }
        else if (result != "unsat") note = "not unsat";
        else note = reportCertificate ?? "no certificate (the verifier wrote none for this proof)";
        return new CertificateEntry(inst.Family, inst.Network, inst.Property, Path.GetFullPath(inst.Onnx), Path.GetFullPath(inst.Vnnlib),
            result, seconds, file, leaves, note);
    }

    /// <summary>The row's CSV line.</summary>
    public static string Line(CertificateEntry e) => CsvLines.Line(e.Family, e.Network, e.Property, e.Onnx, e.Vnnlib, e.Result,
        e.Seconds.ToString("R", CultureInfo.InvariantCulture), e.Certificate, e.Leaves.ToString(CultureInfo.InvariantCulture), e.Note);

    /// <summary>Appends one row to the index of <paramref name="folder"/> (writing the header first when the file is new or empty).</summary>
    public static void Append(string folder, CertificateEntry e)
    {
        var path = Path.Combine(folder, FileName);
        bool fresh = !File.Exists(path) || new FileInfo(path).Length == 0;
        File.AppendAllText(path, (fresh ? Header + "\n" : "") + Line(e), new UTF8Encoding(false));
    }

    /// <summary>Starts a fresh index in <paramref name="folder"/> (a run that is not resumed replaces the old one).</summary>
    public static void Reset(string folder) => File.WriteAllText(Path.Combine(folder, FileName), Header + "\n", new UTF8Encoding(false));

    /// <summary>Reads the index of <paramref name="folder"/>; the last row of an instance (its two paths) counts.</summary>
    /// <exception cref="CsvFormatException">a missing index, a missing column or a malformed row (file:line named).</exception>
    public static IReadOnlyList<CertificateEntry> Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) throw new CsvFormatException($"{path}: no such file (the folder has no index: was it written by `certify run --certificate-dir`?)");
        var table = CsvTable.Read(path, names => CsvTable.IndexOf(names, "family") >= 0);
        if (table.Header is null) throw new CsvFormatException($"{path}:1: no header (expected {Header})");
        var names = Header.Split(',');
        var col = names.Select(table.Column).ToArray();
        if (names.Where((_, i) => col[i] < 0).ToList() is { Count: > 0 } missing)
            throw new CsvFormatException($"{path}:1: no column {string.Join(", ", missing)} (expected {Header})");
        var rows = new Dictionary<(string, string), CertificateEntry>();
        var order = new List<(string, string)>();
        foreach (var r in table.Rows)
        {
            if (!double.TryParse(r[col[6]], NumberStyles.Float, CultureInfo.InvariantCulture, out var s) || !double.IsFinite(s) || s < 0)
                throw table.Error(r, $"seconds '{r[col[6]]}' is not a finite number of seconds at least 0");
            if (!long.TryParse(r[col[8]], NumberStyles.Integer, CultureInfo.InvariantCulture, out var leaves) || leaves < 0)
                throw table.Error(r, $"leaves '{r[col[8]]}' is not a count");
            var cert = r[col[7]];
            if (cert.Length > 0 && (cert.Contains('/') || cert.Contains('\\') || cert is "." or ".."))
                throw table.Error(r, $"certificate '{cert}' is not a file name inside the folder");
            var e = new CertificateEntry(r[col[0]], r[col[1]], r[col[2]], r[col[3]], r[col[4]], r[col[5]], s, cert, leaves, r[col[9]], r.Line);
            if (!rows.ContainsKey(e.Files)) order.Add(e.Files);
            rows[e.Files] = e;
        }
        return order.Select(k => rows[k]).ToList();
    }
}

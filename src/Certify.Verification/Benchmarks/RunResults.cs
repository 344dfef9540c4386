using System.Globalization;

namespace Certify.Verification.Benchmarks;

/// <summary>One row of a results file of <c>certify run</c> (<c>family,network,property,result,seconds,label</c>).</summary>
/// <param name="Family">Benchmark family.</param>
/// <param name="Network">The network's name (<see cref="Instance.Network"/>: its path below the family's onnx/ folder without extension).</param>
/// <param name="Property">The property's name (<see cref="Instance.Property"/>).</param>
/// <param name="Result">sat, unsat, unknown, timeout or error.</param>
/// <param name="Seconds">Time the instance took.</param>
/// <param name="Label">Published answer (sat / unsat), or null when none is known.</param>
/// <param name="Line">Line of the file the row came from (1-based), so that a report can name it.</param>
public sealed record ResultRow(string Family, string Network, string Property, string Result, double Seconds, string? Label, int Line)
{
    /// <summary>The instance, as rows of different runs are matched (and as <c>run --resume</c> matches instances).</summary>
    public (string Family, string Network, string Property) Key => (Family, Network, Property);

    /// <summary>A definite answer: sat or unsat.</summary>
    public bool Answered => Result is "sat" or "unsat";

    /// <summary>
    /// In a results file with a <c>check</c> column (<c>certify compare</c>'s, <see cref="RunResultsList.CheckedHeader"/>):
    /// what re-checking a sat row's counterexample found (<see cref="SatCheck"/>: <c>valid: ...</c> or <c>invalid: ...</c>),
    /// empty for other results. Null when the file has no such column (<c>certify run</c>'s: Certify writes a sat only
    /// after its own counterexample checker reproduced it).
    /// </summary>
    public string? Check { get; init; }

    /// <summary>A sat whose counterexample was not confirmed: re-checked and invalid, or in a file with a check column and never checked.</summary>
    public bool CounterexampleRejected => Result == "sat" && Check is not null && !SatCheck.IsValid(Check);

    /// <summary>
    /// An answer that contradicts the row's label, or a sat whose counterexample was rejected (<see cref="CounterexampleRejected"/>):
    /// a soundness bug until proven otherwise. A sat is a claim with its evidence; one whose evidence fails is no answer.
    /// </summary>
    public bool Wrong => Answered && (Label is not null && Label != Result || CounterexampleRejected);

    /// <summary>Solved, as a cactus plot counts it: a definite answer that no label contradicts.</summary>
    public bool Solved => Answered && !Wrong;
}

/// <summary>A results file read back: its rows, and the name a report shows for it (the file name without extension).</summary>
public sealed record RunResults(string Path, string Name, IReadOnlyList<ResultRow> Rows)
{
    /// <summary>The file has the <c>check</c> column (<see cref="RunResultsList.CheckedHeader"/>): its sat rows' counterexamples were re-checked.</summary>
    public bool Checked { get; init; }
}

/// <summary>
/// Certify's own results files (<c>certify run --out</c>): the header <see cref="Header"/> and one row per finished
/// instance. Read through <see cref="CsvTable"/> (the header's columns in any order, extra columns ignored; quoted fields
/// and CRLF as any CSV tool writes them) and written through <see cref="CsvLines"/>. Every problem names the file and
/// line: a missing column, a result word that is not one of the five, a time that is not a finite number of seconds at
/// least 0, a label other than sat/unsat/empty. A file with a header and no row is valid (an empty run).
/// <para>An optional last column <c>check</c> (<see cref="CheckedHeader"/>, written by <c>certify compare</c>) says for
/// each sat row what re-checking its counterexample found; a sat row of such a file that is not <c>valid</c> counts as
/// wrong (<see cref="ResultRow.Wrong"/>).</para>
/// </summary>
public static class RunResultsList
{
    /// <summary>The first line of every results file (without its line end).</summary>
    public const string Header = "family,network,property,result,seconds,label";

    /// <summary>
    /// The header of a results file that also says, per sat row, whether its counterexample was re-checked and held
    /// (<see cref="ResultRow.Check"/>): the per-tool files of <c>certify compare</c>, whose tools are not Certify.
    /// </summary>
    public const string CheckedHeader = Header + ",check";

    /// <summary>The columns a results file must have.</summary>
    public static readonly IReadOnlyList<string> Required = ["family", "network", "property", "result", "seconds"];

    /// <summary>The result words of <c>certify run</c>.</summary>
    public static readonly IReadOnlySet<string> Results = new HashSet<string> { "sat", "unsat", "unknown", "timeout", "error" };

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="CsvFormatException">on any malformed content (file and line named).</exception>
    /// <exception cref="FileNotFoundException">when the file does not exist.</exception>
    public static RunResults Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        return FromTable(CsvTable.Read(path, _ => true));
    }

    /// <summary>Reads results from <paramref name="text"/> (a file's content); <paramref name="path"/> names it in messages.</summary>
    public static RunResults Parse(string text, string path) => FromTable(CsvTable.Parse(text, path, _ => true));

    /// <summary>
    /// The row of one finished instance, as a CSV line; with <paramref name="check"/> (a file with the <c>check</c>
    /// column: <see cref="CheckedHeader"/>) that column too, empty for a result that is not sat.
    /// </summary>
    public static string Line(Instance inst, string result, double seconds, string? check = null)
    {
        string[] fields = [inst.Family, inst.Network, inst.Property, result, seconds.ToString("F3", CultureInfo.InvariantCulture), inst.Label ?? ""];
        return CsvLines.Line(check is null ? fields : [.. fields, check]);
    }

    static RunResults FromTable(CsvTable table)
    {
        var path = table.Path;
        if (table.Header is not { } header)
            throw new CsvFormatException($"{path}:1: empty file (expected the header {Header})");
        var missing = Required.Where(c => table.Column(c) < 0).ToList();
        if (missing.Count > 0)
            throw new CsvFormatException($"{path}:1: not a results file of `certify run`: no column {string.Join(", ", missing)} (header '{string.Join(',', header)}', expected '{Header}')");
        int iFamily = table.Column("family"), iNetwork = table.Column("network"), iProperty = table.Column("property"),
            iResult = table.Column("result"), iSeconds = table.Column("seconds"), iLabel = table.Column("label"), iCheck = table.Column("check");
        int needed = new[] { iFamily, iNetwork, iProperty, iResult, iSeconds }.Max() + 1;
        var rows = new List<ResultRow>();
        foreach (var row in table.Rows)
        {
            if (row.Count < needed)   // a label column may be left off a row (no label known)
                throw table.Error(row, $"{row.Count} field(s), expected {string.Join(',', header)}");
            var result = row[iResult].ToLowerInvariant();
            if (!Results.Contains(result))
                throw table.Error(row, $"result '{row[iResult]}' is not one of {string.Join(", ", Results)}");
            var secondsText = row[iSeconds];
            if (!double.TryParse(secondsText, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || !double.IsFinite(seconds) || seconds < 0)
                throw table.Error(row, $"seconds '{secondsText}' is not a number of seconds (at least 0)");
            var l = row[iLabel].ToLowerInvariant();
            string? label = l switch
            {
                "" => null,
                "sat" or "unsat" => l,
                _ => throw table.Error(row, $"label '{l}' is not sat, unsat or empty"),
            };
            if (row[iFamily].Length == 0) throw table.Error(row, "empty family");
            rows.Add(new ResultRow(row[iFamily], row[iNetwork], row[iProperty], result, seconds, label, row.Line) { Check = iCheck < 0 ? null : row[iCheck] });
        }
        return new RunResults(path, System.IO.Path.GetFileNameWithoutExtension(path), rows) { Checked = iCheck >= 0 };
    }
}

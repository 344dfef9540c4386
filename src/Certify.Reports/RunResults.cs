using System.Globalization;
using nietras.SeparatedValues;

namespace Certify.Reports;

/// <summary>One row of a results file of <c>certify run</c> (<c>family,network,property,result,seconds,label</c>).</summary>
/// <param name="Family">Benchmark family.</param>
/// <param name="Network">Network file name without extension.</param>
/// <param name="Property">Property file name without extension.</param>
/// <param name="Result">sat, unsat, unknown, timeout or error.</param>
/// <param name="Seconds">Time the instance took.</param>
/// <param name="Label">Published answer (sat / unsat), or null when none is known.</param>
/// <param name="Line">Line of the file the row came from (1-based), so that a report can name it.</param>
public sealed record ResultRow(string Family, string Network, string Property, string Result, double Seconds, string? Label, int Line)
{
    /// <summary>The instance, as rows of different runs are matched.</summary>
    public (string Family, string Network, string Property) Key => (Family, Network, Property);

    /// <summary>A definite answer: sat or unsat.</summary>
    public bool Answered => Result is "sat" or "unsat";

    /// <summary>An answer that contradicts the row's label: a soundness bug until proven otherwise.</summary>
    public bool Wrong => Answered && Label is not null && Label != Result;

    /// <summary>Solved, as a cactus plot counts it: a definite answer that no label contradicts.</summary>
    public bool Solved => Answered && !Wrong;
}

/// <summary>A results file read back: its rows, and the name the report shows for it (the file name without extension).</summary>
public sealed record RunResults(string Path, string Name, IReadOnlyList<ResultRow> Rows);

/// <summary>A results file that cannot be read: the message names the file and the line (<c>file:line: what</c>).</summary>
public sealed class ResultsFormatException(string message) : Exception(message);

/// <summary>
/// Reads the results CSV that <c>certify run --out</c> writes (its header: <c>family,network,property,result,seconds</c>
/// and optionally <c>label</c>, in any order; extra columns are ignored), with Sep, so that quoted fields and
/// CRLF line ends are read as any CSV tool writes them. Every problem is a <see cref="ResultsFormatException"/> naming
/// the file and line: a missing column, a result word that is not one of the five, a time that is not a finite number
/// of seconds at least 0, a label other than sat/unsat/empty. A file with a header and no row is valid (an empty run).
/// </summary>
public static class RunResultsReader
{
    /// <summary>The columns a results file must have.</summary>
    public static readonly IReadOnlyList<string> Required = ["family", "network", "property", "result", "seconds"];

    /// <summary>The result words of <c>certify run</c>.</summary>
    public static readonly IReadOnlySet<string> Results = new HashSet<string> { "sat", "unsat", "unknown", "timeout", "error" };

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="ResultsFormatException">on any malformed content (file and line named).</exception>
    /// <exception cref="FileNotFoundException">when the file does not exist.</exception>
    public static RunResults Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        var rows = new List<ResultRow>();
        try
        {
            using var reader = Sep.Reader(o => o with { Unescape = true, Trim = SepTrim.All, DisableColCountCheck = true }).FromFile(path);
            var header = reader.Header.ColNames.Select(h => h.Trim().ToLowerInvariant()).ToList();
            if (header.Count == 0 || header.All(h => h.Length == 0))
                throw new ResultsFormatException($"{path}:1: empty file (expected the header {string.Join(',', Required)},label)");
            var missing = Required.Where(c => !header.Contains(c)).ToList();
            if (missing.Count > 0)
                throw new ResultsFormatException($"{path}:1: not a results file of `certify run`: no column {string.Join(", ", missing)} (header '{string.Join(',', reader.Header.ColNames)}')");
            int Col(string name) => header.IndexOf(name);
            int iFamily = Col("family"), iNetwork = Col("network"), iProperty = Col("property"), iResult = Col("result"), iSeconds = Col("seconds"), iLabel = Col("label");
            int needed = new[] { iFamily, iNetwork, iProperty, iResult, iSeconds }.Max() + 1;
            foreach (var row in reader)
            {
                int line = row.LineNumberFrom;
                var f = new string[row.ColCount];
                for (int i = 0; i < f.Length; i++) f[i] = row[i].ToString().Trim();
                if (f.All(x => x.Length == 0)) continue;   // a blank line
                if (f.Length < needed)   // a label column may be left off a row (no label known)
                    throw new ResultsFormatException($"{path}:{line}: {f.Length} field(s), expected {string.Join(',', header)}");
                string Field(int i) => i >= 0 && i < f.Length ? f[i] : "";
                var result = Field(iResult).ToLowerInvariant();
                if (!Results.Contains(result))
                    throw new ResultsFormatException($"{path}:{line}: result '{Field(iResult)}' is not one of {string.Join(", ", Results)}");
                var secondsText = Field(iSeconds);
                if (!double.TryParse(secondsText, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || !double.IsFinite(seconds) || seconds < 0)
                    throw new ResultsFormatException($"{path}:{line}: seconds '{secondsText}' is not a number of seconds (at least 0)");
                string? label = null;
                if (iLabel >= 0)
                {
                    var l = Field(iLabel).ToLowerInvariant();
                    label = l switch
                    {
                        "" => null,
                        "sat" or "unsat" => l,
                        _ => throw new ResultsFormatException($"{path}:{line}: label '{l}' is not sat, unsat or empty"),
                    };
                }
                var family = Field(iFamily);
                if (family.Length == 0) throw new ResultsFormatException($"{path}:{line}: empty family");
                rows.Add(new ResultRow(family, Field(iNetwork), Field(iProperty), result, seconds, label, line));
            }
        }
        catch (InvalidDataException e)   // Sep: an unterminated quote and the like
        {
            throw new ResultsFormatException($"{path}: {e.Message.Split('\n')[0].TrimEnd('\r')}");
        }
        return new RunResults(path, System.IO.Path.GetFileNameWithoutExtension(path), rows);
    }
}

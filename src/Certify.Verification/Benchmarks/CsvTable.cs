using System.Text;
using nietras.SeparatedValues;

namespace Certify.Verification.Benchmarks;

/// <summary>A CSV file that cannot be read: the message is one line naming the file and the line (<c>file:line: what</c>).</summary>
public sealed class CsvFormatException(string message) : FormatException(message);

/// <summary>One row of a <see cref="CsvTable"/>: its fields (unquoted and trimmed) and the line it starts on.</summary>
/// <param name="Line">1-based line of the file the row starts on, for error messages.</param>
/// <param name="Fields">The row's fields.</param>
public sealed record CsvRow(int Line, IReadOnlyList<string> Fields)
{
    /// <summary>Field <paramref name="i"/>, or the empty string when the row is shorter (or <paramref name="i"/> is -1, an absent column).</summary>
    public string this[int i] => i >= 0 && i < Fields.Count ? Fields[i] : "";

    /// <summary>Number of fields.</summary>
    public int Count => Fields.Count;
}

/// <summary>
/// The one CSV reader of Certify: every list it reads (VNN-COMP <c>instances.csv</c> and <c>published_results.csv</c>,
/// the bench <c>sets/*.csv</c>, <c>certify run</c>'s results files, a soundness benchmark's manifest) goes through here,
/// and so through Sep, an RFC 4180 parser: a quoted field holding a comma, a doubled quote or a line break is one field,
/// CRLF and LF line ends are both read, a UTF-8 byte order mark is dropped. Lists were once split on commas by hand in
/// six places, each with its own idea of quoting, blank lines and error messages.
/// <para>Rows keep the line they start on, so that every caller's error names <c>file:line</c>. Blank lines are skipped.
/// Rows may have different numbers of fields (a list's trailing empty label column is often left off); each caller
/// says which fields it needs. The file is read with the size cap of every list (<see cref="Certify.IO.InputFile.MaxListBytes"/>).</para>
/// </summary>
/// <param name="Path">The file, as named in messages.</param>
/// <param name="Header">The header's column names (lower case), or null for a list without a header.</param>
/// <param name="Rows">The data rows, header excluded.</param>
public sealed record CsvTable(string Path, IReadOnlyList<string>? Header, IReadOnlyList<CsvRow> Rows)
{
    /// <summary>Index of column <paramref name="name"/> (case-insensitive) in the header, or -1 (also when there is no header).</summary>
    public int Column(string name) => Header is null ? -1 : IndexOf(Header, name);

    /// <summary>
    /// Reads <paramref name="path"/>. <paramref name="isHeader"/> decides whether the first non-blank row is a header (it is
    /// given the row's lower-cased fields); null means the file has none.
    /// </summary>
    /// <exception cref="CsvFormatException">the file cannot be read, is too large, or is not CSV (an unterminated quote).</exception>
    public static CsvTable Read(string path, Func<IReadOnlyList<string>, bool>? isHeader)
    {
        var bytes = Certify.IO.InputFile.ReadAllBytes(path, Certify.IO.InputFile.MaxListBytes, problem => new CsvFormatException($"{path}: {problem}"));
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return Parse(reader.ReadToEnd(), path, isHeader);
    }

    /// <summary>Parses CSV <paramref name="text"/>; <paramref name="path"/> names it in messages. See <see cref="Read"/>.</summary>
    public static CsvTable Parse(string text, string path, Func<IReadOnlyList<string>, bool>? isHeader)
    {
        var rows = new List<CsvRow>();
        try
        {
            using var reader = Sep.Reader(o => o with { HasHeader = false, DisableColCountCheck = true, Sep = new Sep(',') })
                .FromText(text);
            // Sep splits the rows and fields (quotes respected); fields are unquoted here, not by Sep, so that each row's raw
            // text stays as in the file: line numbers are counted by finding it after the previous row (Sep's own line
            // number of the first row is one too high when the file has no header).
            int offset = 0, line = 1;
            foreach (var row in reader)
            {
                var f = new string[row.ColCount];
                for (int i = 0; i < f.Length; i++) f[i] = Unquote(row[i].ToString().Trim());
                if (f.All(x => x.Length == 0)) continue;
                int at = text.AsSpan(offset).IndexOf(row.Span);
                if (at >= 0)
                {
                    line += text.AsSpan(offset, at).Count('\n');
                    rows.Add(new CsvRow(line, f));
                    line += row.Span.Count('\n');
                    offset += at + row.Span.Length;
                }
                else rows.Add(new CsvRow(line, f));   // (not reached: a row is a piece of the text)
            }
        }
        catch (InvalidDataException e)   // Sep: an unterminated quote and the like
        {
            throw new CsvFormatException($"{path}: not a CSV file: {e.Message.Split('\n')[0].TrimEnd('\r')}");
        }
        if (rows.Count > 0 && isHeader is not null)
        {
            var names = rows[0].Fields.Select(h => h.ToLowerInvariant()).ToArray();
            if (isHeader(names)) return new CsvTable(path, names, rows.Skip(1).ToList());
        }
        return new CsvTable(path, null, rows);
    }

    /// <summary>A field without its enclosing quotes, a doubled quote inside read as one (RFC 4180); an unquoted field as it is.</summary>
    static string Unquote(string field) =>
        field.Length >= 2 && field[0] == '"' && field[^1] == '"' ? field[1..^1].Replace("\"\"", "\"").Trim() : field;

    /// <summary>Index of <paramref name="name"/> in <paramref name="names"/>, case-insensitively, or -1.</summary>
    public static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
            if (string.Equals(names[i], name, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    /// <summary>The error for row <paramref name="row"/>: <c>file:line: problem</c>.</summary>
    public CsvFormatException Error(CsvRow row, string problem) => new($"{Path}:{row.Line}: {problem}");
}

/// <summary>
/// The one CSV writer of Certify (Sep, RFC 4180 quoting): a field holding a comma, a quote or a line break is quoted, so
/// that what <see cref="CsvTable"/> reads back is what was written. Results files, VNN-COMP <c>results.csv</c>, instance
/// lists and manifests are all written through here. Lines end in <c>\n</c> on every system.
/// </summary>
public static class CsvLines
{
    /// <summary>One CSV line (with its <c>\n</c>) for <paramref name="fields"/>.</summary>
    public static string Line(IEnumerable<string> fields)
    {
        var sw = new StringWriter();
        using (var writer = Sep.Writer(o => o with { WriteHeader = false, Escape = true, DisableColCountCheck = true, Sep = new Sep(',') }).To(sw))
        {
            using var row = writer.NewRow();
            int i = 0;
            foreach (var f in fields) row[i++].Set(f);
        }
        return sw.ToString().TrimEnd('\r', '\n') + "\n";
    }

    /// <summary>One CSV line for <paramref name="fields"/>.</summary>
    public static string Line(params string[] fields) => Line((IEnumerable<string>)fields);

    /// <summary>Writes <paramref name="rows"/> (after <paramref name="header"/> when given) to <paramref name="path"/>, replacing it.</summary>
    public static void WriteAll(string path, IEnumerable<string>? header, IEnumerable<IEnumerable<string>> rows)
    {
        var sb = new StringBuilder();
        if (header is not null) sb.Append(Line(header));
        foreach (var r in rows) sb.Append(Line(r));
        File.WriteAllText(path, sb.ToString(), new UTF8Encoding(false));
    }
}

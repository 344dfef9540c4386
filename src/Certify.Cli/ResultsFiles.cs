using System.CommandLine;
using Certify.Verification.Benchmarks;

namespace Certify.Cli;

/// <summary>
/// Reads the results files a command is given (<c>report</c>, <c>merge</c>) with <see cref="RunResultsList"/>, turning
/// every problem into the one-line <see cref="CliException"/> (exit 2) that names the file and line.
/// </summary>
public static class ResultsFiles
{
    /// <summary>
    /// A list argument takes every token that is not an option it knows, so a mistyped option would be read as a file:
    /// a token that starts with '-' and is not a file is refused as the unknown option it is.
    /// </summary>
    public static Argument<string[]> RefusingUnknownOptions(this Argument<string[]> files)
    {
        files.Validators.Add(r =>
        {
            if (r.Tokens.FirstOrDefault(t => t.Value.StartsWith('-') && !File.Exists(t.Value)) is { } t)
                r.AddError($"Unrecognized option '{t.Value}'");
        });
        return files;
    }

    /// <summary>Reads every file of <paramref name="paths"/>, in order.</summary>
    /// <exception cref="CliException">for a folder, a missing file or a malformed one.</exception>
    public static List<RunResults> Read(IEnumerable<string> paths)
    {
        var runs = new List<RunResults>();
        foreach (var p in paths)
        {
            if (Directory.Exists(p)) throw new CliException($"{p}: is a folder; give a results file (.csv)");
            try { runs.Add(RunResultsList.Read(p)); }
            catch (CsvFormatException e) { throw new CliException(e.Message); }
        }
        return runs;
    }
}

namespace Certify.Spec;

/// <summary>
/// A VNNLIB file that cannot be read or that uses a construct Certify does not support. The message names the file,
/// the line and column (1-based; 0 when the problem concerns the whole file) and what was expected or is supported.
/// </summary>
public sealed class VnnLibException : Exception
{
    /// <summary>The file (or display name) being parsed.</summary>
    public string File { get; }
    /// <summary>1-based line of the offending token, or 0 when the error concerns the whole file.</summary>
    public int Line { get; }
    /// <summary>1-based column of the offending token, or 0.</summary>
    public int Column { get; }
    /// <summary>The problem without the location prefix.</summary>
    public string Problem { get; }

    public VnnLibException(string file, int line, int column, string problem)
        : base(line > 0 ? $"{file}:{line}:{column}: {problem}" : $"{file}: {problem}")
    {
        File = file;
        Line = line;
        Column = column;
        Problem = problem;
    }
}

using Spectre.Console;

namespace Certify.Cli;

/// <summary>
/// How <c>certify</c> writes to its standard output: with colours, styles and a live progress display only when that
/// output is a terminal, and as plain text everywhere else (a pipe, a file, a CI log).
/// <para>
/// Why: Spectre.Console decides on ANSI support from the environment (<c>TERM</c>, CI variables), not from whether the
/// output is redirected, so <c>certify run ... | tee log</c> once carried escape sequences into the log, and a redirected
/// output got Spectre's default width of 80 columns, which cut the summary table's columns and wrapped its cells. Here
/// the console is made once per <see cref="Program.Main"/>: when the output is not a terminal it writes no ANSI code at
/// all, is not interactive (the progress display prints plain lines instead of redrawing), and is
/// <see cref="PipedWidth"/> columns wide, so a table keeps its natural width. The convention of
/// <see href="https://no-color.org">NO_COLOR</see> is honoured too: set and not empty, it turns every ANSI code off even
/// on a terminal; <c>TERM=dumb</c> does the same.
/// </para>
/// </summary>
public static class Terminal
{
    /// <summary>Width given to output that is not a terminal: wide enough that no table Certify prints is cut or wrapped.</summary>
    public const int PipedWidth = 4096;

    /// <summary>
    /// Whether ANSI codes (colours, styles, cursor movement) may be written: only to a terminal, and only when neither
    /// <c>NO_COLOR</c> (any non-empty value) nor <c>TERM=dumb</c> asks otherwise.
    /// </summary>
    public static bool AnsiWanted(bool outputIsTerminal, string? noColor, string? term) =>
        outputIsTerminal && string.IsNullOrEmpty(noColor) && !string.Equals(term, "dumb", StringComparison.Ordinal);

    /// <summary>A console writing to <paramref name="output"/>, plain unless <paramref name="outputIsTerminal"/> and the environment allow ANSI.</summary>
    public static IAnsiConsole Create(TextWriter output, bool outputIsTerminal)
    {
        bool ansi = AnsiWanted(outputIsTerminal, Environment.GetEnvironmentVariable("NO_COLOR"), Environment.GetEnvironmentVariable("TERM"));
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = ansi ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = ansi ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = outputIsTerminal ? InteractionSupport.Detect : InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        if (!outputIsTerminal) console.Profile.Width = PipedWidth;
        return console;
    }

    /// <summary>Makes <see cref="AnsiConsole.Console"/> write to the current standard output, plain when it is redirected.</summary>
    public static void ConfigureStandardOutput() => AnsiConsole.Console = Create(Console.Out, !Console.IsOutputRedirected);

    /// <summary>A console on standard error (for progress while standard output carries a JSON document).</summary>
    public static IAnsiConsole StandardError() => Create(Console.Error, !Console.IsErrorRedirected);
}

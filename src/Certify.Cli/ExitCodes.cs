namespace Certify.Cli;

/// <summary>
/// The exit codes of every <c>certify</c> command (documented in <c>specs/exit-codes.md</c>). Scripts branch on them,
/// so they never change meaning: an error is never 0, and a verdict is never mistaken for an error.
/// <para>A verdict of <c>verify</c> (unsat, sat, unknown, timeout) is the command doing its job and exits 0: the word is
/// on standard output and in the result file. Giving verdicts distinct codes would make "the property holds" and "the
/// tool failed" share the same non-zero space in VNN-COMP scripts, which treat any non-zero status as a tool error.</para>
/// </summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked (for <c>verify</c>: a verdict was reached and written).</summary>
    public const int Ok = 0;

    /// <summary>
    /// The command ran to its end, but what it found is a failure the caller must notice: a <c>run</c> with an answer that
    /// contradicts a label or with any instance that ended in an error (a benchmark run with errors did not measure what
    /// it was asked to), a soundness audit that found an unsound answer or a tool error, a result file whose counterexample <c>check-result</c>
    /// rejected, a crash, hang or memory blow-up found by <c>fuzz</c>.
    /// </summary>
    public const int Failure = 1;

    /// <summary>Bad input: an unknown or invalid option, a missing, unreadable or malformed file, an unwritable output path.</summary>
    public const int BadInput = 2;

    /// <summary>An unexpected internal error (a bug in Certify): one line on standard error; set CERTIFY_DEBUG=1 for the trace.</summary>
    public const int InternalError = 3;

    /// <summary>Interrupted (SIGINT / Ctrl-C), as shells report it (128 + 2).</summary>
    public const int Interrupted = 130;
}

namespace Certify.Verification.Benchmarks;

/// <summary>
/// The re-check of another tool's sat answer, as <c>certify compare</c> records it in the <c>check</c> column of a tool's
/// results file (<see cref="RunResultsList.CheckedHeader"/>): <c>valid: why</c> or <c>invalid: why</c>.
/// <para>A sat answer is a claim that comes with its evidence, a counterexample; Certify's own sat verdicts exist only
/// after its <see cref="CounterexampleChecker"/> reproduced one in ONNX Runtime. A peer's sat was once counted as solved
/// from the word on its result file's first line alone, so a tool that printed sat with a wrong counterexample, or with
/// none, scored as if it had found a real one, and on an unlabelled instance nothing flagged it. The check is
/// <see cref="ResultCheck.Check"/> (<c>certify check-result</c>: the counterexample in an input box, violating the
/// property at ONNX Runtime's outputs through the same checker, and its written outputs, if any, matching them), so a
/// peer's sat and Certify's own pass the same test. A file that cannot be read or checked at all (a malformed
/// counterexample, a property or network the checker cannot load) is invalid too: an unconfirmed sat never counts.</para>
/// </summary>
public static class SatCheck
{
    /// <summary>The start of the check of a counterexample that holds.</summary>
    public const string ValidPrefix = "valid: ";

    /// <summary>The start of the check of one that does not, or could not be checked.</summary>
    public const string InvalidPrefix = "invalid: ";

    /// <summary>The check says the counterexample holds.</summary>
    public static bool IsValid(string check) => check.StartsWith(ValidPrefix, StringComparison.Ordinal);

    /// <summary>
    /// Checks the sat answer in <paramref name="resultPath"/> for network <paramref name="onnx"/> and property
    /// <paramref name="vnnlib"/>; never throws for anything the tool wrote or the files hold.
    /// </summary>
    public static string Check(string onnx, string vnnlib, string resultPath, ResultCheckOptions? options = null)
    {
        ResultCheckReport report;
        try { report = ResultCheck.Check(onnx, vnnlib, resultPath, options); }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // The tool's file, the property or the network: whatever the reason, the sat is unconfirmed.
            return InvalidPrefix + "cannot be checked: " + e.Message.Split('\n')[0].Trim();
        }
        if (report.Status != Certify.Spec.ResultStatus.Sat)
            return InvalidPrefix + $"the result file now says {Certify.Spec.ResultFile.Word(report.Status)}, not sat";
        return (report.Accepted ? ValidPrefix : InvalidPrefix) + report.Message;
    }
}

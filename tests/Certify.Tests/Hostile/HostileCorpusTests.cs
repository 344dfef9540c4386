using System.Text;
using Certify.Cli;

namespace Certify.Tests.Hostile;

/// <summary>
/// Runs the hostile-input corpus (<see cref="HostileCorpus"/>) through the <c>certify</c> command line, in this process
/// (so a stack overflow or a native crash would end the test run itself: no case may cause one), and checks every
/// outcome: errors are one line per problem on standard error, never a stack trace or an internal error, with the
/// documented exit code and naming what is wrong; verdicts equal the ground truth.
/// </summary>
[Collection(SequentialRandomCollection.Name)]
public sealed class HostileCorpusTests
{
    [Fact]
    public void Every_hostile_input_ends_in_a_one_line_error_or_the_true_verdict()
    {
        var dir = Directory.CreateTempSubdirectory("certify-hostile-").FullName;
        try
        {
            var cases = HostileCorpus.Build(dir);
            Assert.True(cases.Count >= 300, $"the corpus has {cases.Count} cases; the issue asks for at least 300");
            var failures = new List<string>();
            // CERTIFY_HOSTILE_LOG=FILE keeps every case's outcome (group, case, exit code, verdict word, seconds, first error line).
            var log = Environment.GetEnvironmentVariable("CERTIFY_HOSTILE_LOG") is { Length: > 0 } logPath ? new StreamWriter(logPath) : null;
            log?.WriteLine("group\tcase\texit\tverdict\tseconds\terror");
            foreach (var c in cases)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var (code, stdout, stderr) = CommandHarness.Certify(c.Args);
                log?.WriteLine($"{c.Group}\t{c.Name}\t{code}\t{(code == 0 ? stdout.Split(' ', '\n')[0] : "")}\t{clock.Elapsed.TotalSeconds:F2}\t{stderr.Split('\n')[0].Replace('\t', ' ')}");
                if (Judge(c, code, stdout, stderr) is { } problem)
                    failures.Add($"{c}: {problem}\n    args: {string.Join(' ', c.Args.Select(a => a.Length > 90 ? a[..90] + "…" : a))}\n    exit {code}; stderr: {Clip(stderr)}; stdout: {Clip(stdout)}");
            }
            log?.Dispose();
            var summary = string.Join(", ", cases.GroupBy(c => c.Group).Select(g => $"{g.Key} {g.Count()}"));
            Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} hostile cases failed ({summary}):\n" + string.Join("\n", failures));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>Null when the outcome is right, else what is wrong with it.</summary>
    static string? Judge(HostileCase c, int code, string stdout, string stderr)
    {
        var errLines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        if (errLines.Any(l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) && l.Contains('(')))
            return "a stack trace was printed";
        if (code == ExitCodes.InternalError || stderr.Contains("internal error", StringComparison.Ordinal))
            return "an internal error (a bug, not a message about the input)";
        switch (c.Expect)
        {
            case Expectation.Error e:
                return ErrorProblem(e, code, errLines);
            case Expectation.Verdict v:
                return VerdictProblem(v.Word, v.AllowUndecided, code, stdout);
            case Expectation.ErrorOrVerdict ev:
                return code == ExitCodes.Ok ? VerdictProblem(ev.Word, false, code, stdout) : ErrorProblem(ev.Refusal, code, errLines);
            case Expectation.Success s:
                if (code != ExitCodes.Ok) return $"expected success, got exit {code}";
                var missing = s.Mentions.Where(m => !stdout.Contains(m, StringComparison.Ordinal)).ToList();
                return missing.Count == 0 ? null : $"the output does not mention {string.Join(", ", missing)}";
            default:
                return "unknown expectation";
        }
    }

    static string? ErrorProblem(Expectation.Error e, int code, List<string> errLines)
    {
        if (code != e.Code) return $"expected exit {e.Code}, got {code}";
        if (e.Code != ExitCodes.BadInput) return null;
        if (errLines.Count == 0) return "no error message";
        var bad = errLines.FirstOrDefault(l => !l.StartsWith("certify: ", StringComparison.Ordinal));
        if (bad is not null) return $"an error line does not start with 'certify: ' ('{bad}')";
        var text = string.Join("\n", errLines);
        var missing = e.Mentions.Where(m => !text.Contains(m, StringComparison.Ordinal)).ToList();
        return missing.Count == 0 ? null : $"the message does not name {string.Join(", ", missing.Select(m => $"'{m}'"))}";
    }

    static string? VerdictProblem(string word, bool allowUndecided, int code, string stdout)
    {
        if (code != ExitCodes.Ok) return $"expected the verdict {word}, got exit {code}";
        var got = stdout.Split(new[] { ' ', '\n', '\r' }, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        if (got == word) return null;
        if (allowUndecided && got is "unknown" or "timeout") return null;
        return got is "sat" or "unsat" ? $"WRONG VERDICT: {got}, the truth is {word}" : $"expected the verdict {word}, got '{got}'";
    }

    static string Clip(string s)
    {
        s = s.Replace("\n", " | ").Trim();
        return s.Length > 400 ? s[..400] + "…" : s;
    }
}

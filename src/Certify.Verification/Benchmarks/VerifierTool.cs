using System.Diagnostics;
using System.Globalization;
using Certify.Import;
using Certify.Spec;

namespace Certify.Verification.Benchmarks;

/// <summary>How one run of a verifier on one instance ended (the verdict itself is in the result file).</summary>
/// <param name="TimedOut">The run exceeded its time limit and was killed (with its whole process tree).</param>
/// <param name="ExitCode">The process's exit code (null when killed or in-process).</param>
/// <param name="Seconds">Wall-clock time.</param>
/// <param name="Output">The tail of its standard output and error, for error reports.</param>
/// <param name="Cancelled">The caller's cancellation (an interrupted comparison) killed it: the run measured nothing.</param>
public sealed record ToolRun(bool TimedOut, int? ExitCode, double Seconds, string Output, bool Cancelled = false);

/// <summary>
/// A verifier that follows the VNN-COMP run_instance convention: given a network, a property, a result path and a time
/// limit, it writes a result file (<c>specs/result-file.md</c>: the verdict on the first line). The one tool concept of
/// Certify: the soundness harness (<c>certify soundness run --tool</c>) and the side-by-side comparison
/// (<c>certify compare --tool</c>) both take their verifiers as one of these, so a command template that works in one
/// works in the other (<c>soundness run</c> does not read the <c>vnncomp:FOLDER</c> form yet; the harness would run a
/// <see cref="VnncompTool"/> unchanged).
/// </summary>
public interface IVerifierTool
{
    /// <summary>A short description for reports.</summary>
    string Name { get; }

    /// <summary>Runs on one instance, writing <paramref name="results"/>.</summary>
    ToolRun Run(string onnx, string vnnlib, string results, double timeoutSeconds);

    /// <summary>
    /// Runs on one instance of benchmark family <paramref name="family"/> (VNN-COMP's "category", which a tool may use
    /// to pick its settings). <paramref name="cancel"/> kills a tool's process tree (a tool run in-process ignores it and
    /// ends at its time limit). Tools that do not care about the family run <see cref="Run(string, string, string, double)"/>.
    /// </summary>
    ToolRun Run(string family, string onnx, string vnnlib, string results, double timeoutSeconds, CancellationToken cancel = default) =>
        Run(onnx, vnnlib, results, timeoutSeconds);
}

/// <summary>
/// What a run of a tool counts as, read from its result file the way VNN-COMP scores one: sat (also the competition's
/// <c>violated</c>), unsat (<c>holds</c>), timeout, unknown or error. A run that was killed is a timeout whatever its file
/// says; a definite answer that came more than a second after the time limit is a timeout too (the competition does not
/// score late answers, and a tool that overruns would otherwise look better than one that stops in time); a missing,
/// empty or unreadable file is an error, never an answer.
/// </summary>
public static class ToolVerdict
{
    /// <summary>The counted result word of <paramref name="run"/>, whose result file is <paramref name="results"/>.</summary>
    public static string Read(ToolRun run, string results, double timeoutSeconds)
    {
        if (run.TimedOut) return "timeout";
        if (!File.Exists(results)) return "error";
        string first;
        try { first = File.ReadLines(results).FirstOrDefault()?.Trim().ToLowerInvariant() ?? ""; }
        catch (IOException) { return "error"; }
        var word = first switch
        {
            "sat" or "violated" => "sat",
            "unsat" or "holds" => "unsat",
            "timeout" => "timeout",
            "unknown" => "unknown",
            _ => "error",
        };
        return word is "sat" or "unsat" && run.Seconds > timeoutSeconds + 1 ? "timeout" : word;
    }
}

/// <summary>
/// Any verifier given as a shell command template with the placeholders <c>{onnx}</c>, <c>{vnnlib}</c>,
/// <c>{results}</c> and <c>{timeout}</c> (absolute paths, shell-quoted; the timeout in seconds), and optionally
/// <c>{family}</c>. The command runs in <c>bash -c</c> through the one tool runner (<see cref="ToolProcess"/>); past
/// the timeout plus <see cref="GraceSeconds"/> its whole process tree is killed.
/// </summary>
public sealed class CommandTool : IVerifierTool
{
    /// <summary>The default tool: Certify itself through its own command line.</summary>
    public const string CertifyTemplate = "./certify verify {onnx} {vnnlib} --results {results} --timeout {timeout}";

    /// <summary>Creates a tool from <paramref name="template"/>.</summary>
    /// <exception cref="ArgumentException">a template without the {results} placeholder (the verdict could not be read).</exception>
    public CommandTool(string template, double graceSeconds = 10, string? workingDirectory = null)
    {
        if (!template.Contains("{results}"))
            throw new ArgumentException($"the tool command must contain {{results}} (and usually {{onnx}}, {{vnnlib}}, {{timeout}}): '{template}'");
        Template = template;
        GraceSeconds = graceSeconds;
        WorkingDirectory = workingDirectory ?? Directory.GetCurrentDirectory();
    }

    public string Template { get; }
    /// <summary>Extra seconds allowed beyond the instance's timeout (start-up, writing results).</summary>
    public double GraceSeconds { get; }
    public string WorkingDirectory { get; }
    public string Name => Template;

    /// <summary>The command line for one instance.</summary>
    public string Expand(string onnx, string vnnlib, string results, double timeoutSeconds, string family = "") => Template
        .Replace("{onnx}", Quote(Path.GetFullPath(onnx))).Replace("{vnnlib}", Quote(Path.GetFullPath(vnnlib)))
        .Replace("{results}", Quote(Path.GetFullPath(results))).Replace("{family}", Quote(family))
        .Replace("{timeout}", timeoutSeconds.ToString(CultureInfo.InvariantCulture));

    public ToolRun Run(string onnx, string vnnlib, string results, double timeoutSeconds) => Run("", onnx, vnnlib, results, timeoutSeconds);

    /// <summary>Runs the command through the one tool runner (<see cref="ToolProcess"/>): killed with its process tree past the grace.</summary>
    public ToolRun Run(string family, string onnx, string vnnlib, string results, double timeoutSeconds, CancellationToken cancel = default)
    {
        var o = ToolProcess.Run(new ToolCommand("/bin/bash", ["-c", Expand(onnx, vnnlib, results, timeoutSeconds, family)])
        {
            WorkingDirectory = WorkingDirectory, Timeout = TimeSpan.FromSeconds(timeoutSeconds + GraceSeconds), MaxCapturedChars = 4000,
            DieWithParent = true,
        }, cancel);
        return new ToolRun(o.TimedOut, o.ExitCode, o.Seconds, o.Stdout + o.Stderr, o.Cancelled);
    }

    /// <summary>Single-quotes <paramref name="s"/> for bash.</summary>
    public static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}

/// <summary>
/// A verifier packaged as VNN-COMP asks tools to be: a folder with <c>prepare_instance.sh</c> and
/// <c>run_instance.sh</c>. For each instance the first is called as <c>prepare_instance.sh v1 CATEGORY ONNX VNNLIB</c>
/// (conversion, caching; a non-zero exit means the tool cannot run the instance) and the second as
/// <c>run_instance.sh v1 CATEGORY ONNX VNNLIB RESULTS TIMEOUT</c>, which writes the result file. CATEGORY is the
/// instance's benchmark family, paths are absolute, the working directory is the tool folder. As in the competition
/// only <c>run_instance.sh</c> is timed (the preparation is not part of the verification time); it is killed with its
/// process tree past the timeout plus <see cref="GraceSeconds"/>, and the preparation past <see cref="PrepareSeconds"/>.
/// A folder without <c>prepare_instance.sh</c> is accepted (nothing to prepare); one without <c>run_instance.sh</c> is not.
/// The scripts are run with <c>bash</c>, so they need not be executable (a checkout or an archive often loses the bit).
/// </summary>
public sealed class VnncompTool : IVerifierTool
{
    /// <summary>The version argument of the competition's scripts.</summary>
    public const string Version = "v1";

    /// <summary>Creates a tool from <paramref name="folder"/>.</summary>
    /// <exception cref="ArgumentException">the folder does not exist or has no run_instance.sh.</exception>
    public VnncompTool(string folder, double graceSeconds = 10, double prepareSeconds = 300)
    {
        if (!Directory.Exists(folder)) throw new ArgumentException($"vnncomp:{folder}: no such folder");
        Folder = Path.GetFullPath(folder);
        if (!File.Exists(Path.Combine(Folder, "run_instance.sh")))
            throw new ArgumentException($"vnncomp:{folder}: no run_instance.sh in the folder (a VNN-COMP tool folder has prepare_instance.sh and run_instance.sh)");
        GraceSeconds = graceSeconds;
        PrepareSeconds = prepareSeconds;
    }

    /// <summary>The tool folder (absolute).</summary>
    public string Folder { get; }
    /// <summary>Extra seconds allowed beyond the instance's timeout.</summary>
    public double GraceSeconds { get; }
    /// <summary>Time limit of one <c>prepare_instance.sh</c> call.</summary>
    public double PrepareSeconds { get; }
    public string Name => "vnncomp:" + Folder;

    /// <summary>Runs with the category guessed from the network's path: the folder above its <c>onnx/</c> folder (VNN-COMP's layout), else "unknown".</summary>
    public ToolRun Run(string onnx, string vnnlib, string results, double timeoutSeconds) => Run(Category(onnx), onnx, vnnlib, results, timeoutSeconds);

    public ToolRun Run(string family, string onnx, string vnnlib, string results, double timeoutSeconds, CancellationToken cancel = default)
    {
        string category = family.Length > 0 ? family : Category(onnx);
        string o = Path.GetFullPath(onnx), v = Path.GetFullPath(vnnlib), r = Path.GetFullPath(results);
        var prepare = Path.Combine(Folder, "prepare_instance.sh");
        if (File.Exists(prepare))
        {
            var p = Script(prepare, [Version, category, o, v], PrepareSeconds, cancel);
            if (p.Cancelled) return new ToolRun(false, null, 0, "interrupted", Cancelled: true);
            if (p.TimedOut || p.ExitCode != 0)
                return new ToolRun(false, p.ExitCode, 0, $"prepare_instance.sh {(p.TimedOut ? $"ran past {PrepareSeconds:G} s" : $"exited with code {p.ExitCode}")}: {Tail(p)}");
        }
        var run = Script(Path.Combine(Folder, "run_instance.sh"),
            [Version, category, o, v, r, timeoutSeconds.ToString(CultureInfo.InvariantCulture)], timeoutSeconds + GraceSeconds, cancel);
        return new ToolRun(run.TimedOut, run.ExitCode, run.Seconds, run.Stdout + run.Stderr, run.Cancelled);
    }

    ToolOutcome Script(string script, IReadOnlyList<string> args, double limitSeconds, CancellationToken cancel) =>
        ToolProcess.Run(new ToolCommand("/bin/bash", [script, .. args])
        {
            WorkingDirectory = Folder, Timeout = TimeSpan.FromSeconds(limitSeconds), MaxCapturedChars = 4000, DieWithParent = true,
        }, cancel);

    static string Tail(ToolOutcome o) => o.LastErrorLine.Length > 0 ? o.LastErrorLine : o.Stdout.Trim().Split('\n').LastOrDefault() ?? "";

    static string Category(string onnx)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(onnx));
        return dir is not null && Path.GetFileName(dir) == "onnx" && Path.GetDirectoryName(dir) is { } up ? Path.GetFileName(up) : "unknown";
    }
}

/// <summary>
/// Certify's own <see cref="Certify.Verification.Verifier"/> run in-process (<c>--tool certify</c>), or deliberately weakened
/// (<c>--tool certify:drop-split-branch</c>: branch and bound drops the second child of every split) for the harness's
/// self-check. Same pipeline as <c>certify verify</c>, without a process per instance.
/// <para><paramref name="options"/> (null: the defaults) sets the stages and their work budgets, e.g. an attack schedule
/// and <see cref="Certify.Verification.Search.BabOptions.MaxDomains"/> so that a test's verdict does not depend on the
/// machine's speed; its <see cref="Certify.Verification.VerifierOptions.Timeout"/> is replaced by each instance's time
/// limit and its branch and bound's weakening flag by <paramref name="dropSecondChild"/>.</para>
/// </summary>
public sealed class CertifyTool(bool dropSecondChild = false, Certify.Verification.VerifierOptions? options = null) : IVerifierTool
{
    /// <summary>True for the deliberately unsound variant.</summary>
    public bool Weakened { get; } = dropSecondChild;

    /// <summary>The settings of each run, before the instance's time limit and the weakening are applied.</summary>
    public Certify.Verification.VerifierOptions Options { get; } = options ?? new Certify.Verification.VerifierOptions();

    public string Name => Weakened ? "certify (weakened: drop-split-branch)" : "certify (in-process)";

    public ToolRun Run(string onnx, string vnnlib, string results, double timeoutSeconds)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var report = Certify.Verification.Verifier.Verify(onnx, vnnlib, Options with
            {
                Timeout = TimeSpan.FromSeconds(timeoutSeconds),
                Bab = Options.Bab with { UnsoundDropSecondChildForTesting = Weakened },
            });
            report.WriteResultFile(results);
            return new ToolRun(false, 0, clock.Elapsed.TotalSeconds, report.Verdict.ToString());
        }
        catch (Exception e) when (e is ImportException or VnnLibException or IOException or NotSupportedException or ArgumentException)
        {
            ResultFile.Write(results, ResultStatus.Error);
            return new ToolRun(false, 1, clock.Elapsed.TotalSeconds, e.Message);
        }
    }

    /// <summary>Parses "certify" or "certify:drop-split-branch"; null when <paramref name="spec"/> names another tool.</summary>
    public static CertifyTool? TryParse(string spec) => spec switch
    {
        "certify" => new CertifyTool(),
        "certify:drop-split-branch" => new CertifyTool(dropSecondChild: true),
        _ => null,
    };
}

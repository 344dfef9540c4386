using System.Diagnostics;
using Certify.Verification.Benchmarks;
using Certify.Import;
using Certify.Runtime;
using Certify.Spec;

namespace Certify.Soundness;

/// <summary>How one run of a verifier on one instance ended (the verdict itself is in the result file).</summary>
/// <param name="TimedOut">The run exceeded its time limit and was killed (with its whole process tree).</param>
/// <param name="ExitCode">The process's exit code (null when killed or in-process).</param>
/// <param name="Seconds">Wall-clock time.</param>
/// <param name="Output">The tail of its standard output and error, for error reports.</param>
public sealed record ToolRun(bool TimedOut, int? ExitCode, double Seconds, string Output);

/// <summary>A verifier that follows the VNN-COMP run_instance convention: given a network, a property, a result path
/// and a time limit, it writes a result file.</summary>
public interface IVerifierTool
{
    /// <summary>A short description for reports.</summary>
    string Name { get; }

    /// <summary>Runs on one instance, writing <paramref name="results"/>.</summary>
    ToolRun Run(string onnx, string vnnlib, string results, double timeoutSeconds);
}

/// <summary>
/// Any verifier given as a shell command template with the placeholders <c>{onnx}</c>, <c>{vnnlib}</c>,
/// <c>{results}</c> and <c>{timeout}</c> (absolute paths, shell-quoted; the timeout in seconds). The command runs in
/// <c>bash -c</c>; past the timeout plus <see cref="GraceSeconds"/> its whole process tree is killed.
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
    public string Expand(string onnx, string vnnlib, string results, double timeoutSeconds) => Template
        .Replace("{onnx}", Quote(Path.GetFullPath(onnx))).Replace("{vnnlib}", Quote(Path.GetFullPath(vnnlib)))
        .Replace("{results}", Quote(Path.GetFullPath(results)))
        .Replace("{timeout}", timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Runs the command through the one tool runner (<see cref="ToolProcess"/>): killed with its process tree past the grace.</summary>
    public ToolRun Run(string onnx, string vnnlib, string results, double timeoutSeconds)
    {
        var o = ToolProcess.Run(new ToolCommand("/bin/bash", ["-c", Expand(onnx, vnnlib, results, timeoutSeconds)])
        {
            WorkingDirectory = WorkingDirectory, Timeout = TimeSpan.FromSeconds(timeoutSeconds + GraceSeconds), MaxCapturedChars = 4000,
        });
        return new ToolRun(o.TimedOut, o.ExitCode, o.Seconds, o.Stdout + o.Stderr);
    }

    /// <summary>Single-quotes <paramref name="s"/> for bash.</summary>
    public static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}

/// <summary>
/// The in-process <see cref="InputSplitProver"/> as a tool (<c>--tool builtin</c>, or <c>builtin:WEAKENING</c> for the
/// harness self-check with a deliberately unsound variant). Counterexamples are confirmed in ONNX Runtime before sat.
/// </summary>
public sealed class BuiltinProverTool(ProverWeakening weakening = ProverWeakening.None, int maxBoxes = 20000) : IVerifierTool
{
    public ProverWeakening Weakening { get; } = weakening;
    public string Name => Weakening == ProverWeakening.None ? "builtin input-split CROWN prover" : $"builtin prover weakened: {InputSplitProver.WeakeningName(Weakening)}";

    public ToolRun Run(string onnx, string vnnlib, string results, double timeoutSeconds)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var graph = OnnxImporter.Import(onnx);
            var spec = VnnLibParser.Parse(vnnlib);
            using var ort = new OnnxRuntimeModel(onnx);
            var r = InputSplitProver.Verify(graph, spec, new ProverOptions(MaxBoxes: maxBoxes, TimeoutSeconds: timeoutSeconds, Weakening: Weakening), ort.Run);
            ResultFile.Write(results, r.Status, r.X, r.Y);
            return new ToolRun(false, 0, clock.Elapsed.TotalSeconds, $"{ResultFile.Word(r.Status)} after {r.Boxes} boxes");
        }
        catch (Exception e) when (e is ImportException or VnnLibException or IOException or NotSupportedException)
        {
            ResultFile.Write(results, ResultStatus.Error);
            return new ToolRun(false, 1, clock.Elapsed.TotalSeconds, e.Message);
        }
    }

    /// <summary>Parses "builtin" or "builtin:WEAKENING"; null when <paramref name="spec"/> is not a builtin tool.</summary>
    public static BuiltinProverTool? TryParse(string spec)
    {
        if (spec == "builtin") return new BuiltinProverTool();
        if (spec.StartsWith("builtin:", StringComparison.Ordinal)) return new BuiltinProverTool(InputSplitProver.ParseWeakening(spec["builtin:".Length..]));
        return null;
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

using System.Text.RegularExpressions;

namespace Certify.Verification.Benchmarks;

/// <summary>One tool of a side-by-side comparison: the name its results file and plot line get, and the tool.</summary>
/// <param name="Name">A file-name-safe name (<c>[A-Za-z0-9._-]</c>, starting with a letter or digit), unique in the comparison.</param>
/// <param name="Spec">The specification it was made from, as typed (for the table's header and messages).</param>
/// <param name="Tool">The verifier.</param>
public sealed record ComparedTool(string Name, string Spec, IVerifierTool Tool);

/// <summary>
/// The parts of <c>certify compare</c> that are not input and output: reading a <c>--tool NAME=SPEC</c> and the order in
/// which the tools run on each instance.
/// <para>Tools run interleaved per instance (instance 1 with every tool, then instance 2 with every tool, ...), each
/// run a whole process, so that every tool sees the same machine load at nearly the same time: two tools run one
/// after the other over a whole list can see very different loads (another job starting, a thermal limit), and on
/// a shared machine that difference once exceeded the difference between the tools. The order of the tools rotates
/// by one per instance, so that no tool always runs first (right after the previous instance's last tool, with warm
/// or cold file caches).</para>
/// </summary>
public static partial class SideBySide
{
    /// <summary>The prefix of a VNN-COMP tool folder specification.</summary>
    public const string VnncompPrefix = "vnncomp:";

    /// <summary>The specification that means this build of Certify.</summary>
    public const string CertifySpec = "certify";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex NamePattern();

    /// <summary>
    /// Reads one <c>--tool</c> value: <c>NAME=certify</c> (this build, through <paramref name="certifyTemplate"/>),
    /// <c>NAME=vnncomp:FOLDER</c> (a VNN-COMP tool folder, <see cref="VnncompTool"/>) or <c>NAME=COMMAND</c> (a command
    /// template with <c>{onnx} {vnnlib} {results} {timeout}</c>, <see cref="CommandTool"/>).
    /// </summary>
    /// <exception cref="ArgumentException">a one-line message naming the option and what is wrong.</exception>
    public static ComparedTool ParseTool(string value, string certifyTemplate, double graceSeconds)
    {
        int eq = value.IndexOf('=');
        if (eq < 0) throw new ArgumentException($"--tool '{value}': expected NAME=SPEC (SPEC: certify, vnncomp:FOLDER or a command with {{onnx}} {{vnnlib}} {{results}} {{timeout}})");
        var name = value[..eq].Trim();
        var spec = value[(eq + 1)..].Trim();
        if (!NamePattern().IsMatch(name))
            throw new ArgumentException($"--tool '{value}': the name '{name}' must be letters, digits, '.', '_' or '-' (it names the tool's results file)");
        if (spec.Length == 0) throw new ArgumentException($"--tool '{value}': no SPEC after '=' (certify, vnncomp:FOLDER or a command)");
        try
        {
            IVerifierTool tool = spec == CertifySpec ? new CommandTool(certifyTemplate, graceSeconds)
                : spec.StartsWith(VnncompPrefix, StringComparison.Ordinal) ? new VnncompTool(spec[VnncompPrefix.Length..], graceSeconds)
                : new CommandTool(spec, graceSeconds);
            return new ComparedTool(name, spec, tool);
        }
        catch (ArgumentException e) { throw new ArgumentException($"--tool {name}: {e.Message}"); }
    }

    /// <summary>Reads every <c>--tool</c> value; names must be unique.</summary>
    /// <exception cref="ArgumentException">as <see cref="ParseTool"/>, or a name given twice, or no tool.</exception>
    public static IReadOnlyList<ComparedTool> ParseTools(IEnumerable<string> values, string certifyTemplate, double graceSeconds)
    {
        var tools = values.Select(v => ParseTool(v, certifyTemplate, graceSeconds)).ToList();
        if (tools.Count == 0) throw new ArgumentException("give at least one --tool NAME=SPEC");
        if (tools.GroupBy(t => t.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"--tool: the name '{twice.Key}' is given twice (each tool needs its own name: it names its results file)");
        return tools;
    }

    /// <summary>
    /// The order in which <paramref name="tools"/> tools run on the instance at position <paramref name="instance"/>
    /// (0-based) of the list: the tools' indices rotated left by <paramref name="instance"/> (instance 0: 0, 1, 2;
    /// instance 1: 1, 2, 0; ...). It depends on the position in the whole list only, so a resumed run keeps it.
    /// </summary>
    public static IReadOnlyList<int> Order(int instance, int tools) =>
        Enumerable.Range(0, tools).Select(j => (instance + j) % tools).ToList();
}

using System.Diagnostics;
using Certify.Import;
using Certify.Runtime;
using Certify.Spec;
using Certify.Verification.Benchmarks;

namespace Certify.Soundness;

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

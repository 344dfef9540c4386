using System.Globalization;
using System.Text.RegularExpressions;
using Certify.Spec;

namespace Certify.Verification.Benchmarks;

/// <summary>
/// Tolerances of <see cref="ResultCheck"/> (<c>certify check-result</c>, <c>specs/result-file.md</c>).
/// </summary>
/// <param name="BoxTolerance">How far (absolute, per input) a counterexample may lie outside the property's input box; it
/// is then clipped into the box before it is run, as <see cref="CounterexampleChecker"/> does for Certify's own answers.
/// 1e-6 by default: a tool that writes float32 values in decimal can miss a bound by an ulp, not by more.</param>
/// <param name="OutputTolerance">How far a written output <c>Y_i</c> may differ from ONNX Runtime's value <c>y</c> at the
/// same input: <c>|Y_i − y| ≤ t·(1 + |y|)</c>, i.e. absolute near 0 and relative for large outputs. 1e-4 by default, about a
/// thousand float32 ulps: different back-ends (GPU kernels, a tool's own float64 forward pass) differ by rounding.</param>
public sealed record ResultCheckOptions(double BoxTolerance = 1e-6, double OutputTolerance = 1e-4);

/// <summary>What <see cref="ResultCheck.Check"/> found.</summary>
/// <param name="Accepted">The result file is well formed and, for sat, its counterexample is real.</param>
/// <param name="Status">The file's verdict.</param>
/// <param name="Message">One line: why it was accepted, or <c>file:line: why not</c>.</param>
public sealed record ResultCheckReport(bool Accepted, ResultStatus Status, string Message);

/// <summary>
/// Checks any tool's VNN-COMP result file against its network and property. The verdict words are read as
/// <see cref="ResultFile.Read(string)"/> reads them (sat/violated, unsat/holds, unknown, timeout, error). A sat answer is
/// accepted only when its counterexample (1) has one value per input, (2) lies in some input box of the property within
/// <see cref="ResultCheckOptions.BoxTolerance"/>, (3) violates the property at ONNX Runtime's outputs at that input (the
/// re-run of <see cref="CounterexampleChecker"/>, the same one that stands between Certify's own search and a sat
/// verdict), and (4) when the file gives outputs, they match ONNX Runtime's within <see cref="ResultCheckOptions.OutputTolerance"/>
/// (a wrong output is a tool that did not run the network it was given). An unsat, unknown, timeout or error answer
/// carries nothing to check from the file alone: an unsat is checked with a certificate (<c>check-certificate</c>).
/// </summary>
public static class ResultCheck
{
    /// <summary>Checks <paramref name="resultPath"/> for network <paramref name="onnx"/> and property <paramref name="vnnlib"/>.</summary>
    /// <exception cref="FormatException">the result file is malformed (file and line named).</exception>
    /// <exception cref="VnnLibException">the property cannot be read.</exception>
    /// <exception cref="Certify.Import.ImportException">ONNX Runtime cannot load the network.</exception>
    public static ResultCheckReport Check(string onnx, string vnnlib, string resultPath, ResultCheckOptions? options = null)
    {
        var o = options ?? new ResultCheckOptions();
        var text = File.ReadAllText(resultPath);
        var result = ResultFile.Read(new StringReader(text), resultPath);
        var spec = VnnLibParser.Parse(vnnlib);
        if (result.Status != ResultStatus.Sat)
            return new ResultCheckReport(true, result.Status, $"{ResultFile.Word(result.Status)}: well formed; no counterexample to check" +
                                                               (result.Status == ResultStatus.Unsat ? " (an unsat answer is checked with a certificate: check-certificate)" : ""));
        string Reject(string name, string why) => $"{resultPath}:{LineOf(text, name)}: {why}";
        if (result.X is not { } x)
            return new ResultCheckReport(false, result.Status, $"{resultPath}:1: sat without a counterexample (expected ((X_0 v) ... (Y_0 v)) after the first line)");
        if (x.Length != spec.InputSize)
            return new ResultCheckReport(false, result.Status, Reject($"X_{x.Length - 1}", $"the counterexample has {x.Length} inputs (X_0..X_{x.Length - 1}), the property {spec.InputSize}"));
        if (!spec.Regions.Any(r => r.Contains(x, o.BoxTolerance)))
        {
            // Name the worst input of the region the point is nearest to (its largest excursion is smallest).
            var (excess, i, region) = spec.Regions.Select(r => Enumerable.Range(0, x.Length)
                    .Select(k => (d: Math.Max(r.Lower[k] - x[k], x[k] - r.Upper[k]), k)).MaxBy(t => t.d)).Select((t, r) => (t.d, t.k, r)).MinBy(t => t.d);
            var box = spec.Regions[region];
            return new ResultCheckReport(false, result.Status, Reject($"X_{i}",
                $"X_{i} = {G(x[i])} lies outside the input box [{G(box.Lower[i])}, {G(box.Upper[i])}] by {G(excess)} (tolerance {G(o.BoxTolerance)})" +
                (spec.Regions.Count > 1 ? $", nearest of the property's {spec.Regions.Count} regions: region {region}" : "")));
        }
        using var model = new OnnxReferenceModel(onnx);
        var check = new CounterexampleChecker(model, spec, o.BoxTolerance).Check(x);
        if (check.Verdict?.Counterexample is not { } cex)
            return new ResultCheckReport(false, result.Status, $"{resultPath}:1: the counterexample does not violate the property: {check.Detail}");
        if (result.Y is { } y)
        {
            if (y.Length != cex.Y.Length)
                return new ResultCheckReport(false, result.Status, Reject($"Y_{y.Length - 1}", $"the file gives {y.Length} outputs, the network has {cex.Y.Length}"));
            for (int k = 0; k < y.Length; k++)
                if (!(Math.Abs(y[k] - cex.Y[k]) <= o.OutputTolerance * (1 + Math.Abs(cex.Y[k]))))
                    return new ResultCheckReport(false, result.Status, Reject($"Y_{k}",
                        $"Y_{k} = {G(y[k])} but {model.Description} computes {G(cex.Y[k])} at this input (difference {G(Math.Abs(y[k] - cex.Y[k]))}, tolerance {G(o.OutputTolerance)}·(1 + |y|))"));
        }
        return new ResultCheckReport(true, result.Status,
            $"sat: the counterexample lies in region {cex.Region}, violates the property (margin {G(cex.Margin)} at {model.Description})" +
            (result.Y is null ? "; the file gives no outputs to compare" : " and its outputs match"));
    }

    /// <summary>The line of the first <c>NAME</c> token in the file (1 when absent), for messages.</summary>
    static int LineOf(string text, string name)
    {
        var m = Regex.Match(text, @"(?<![A-Za-z0-9_])" + Regex.Escape(name) + @"(?![A-Za-z0-9_])");
        return m.Success ? 1 + text.AsSpan(0, m.Index).Count('\n') : 1;
    }

    static string G(double v) => v.ToString("G9", CultureInfo.InvariantCulture);
}

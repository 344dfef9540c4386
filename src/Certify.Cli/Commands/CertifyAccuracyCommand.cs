using System.CommandLine;
using System.Globalization;
using Certify.Training.Data;
using Certify.Training.Diagnostics;
using Certify.Training.Evaluation;
using Certify.Training.Models;
using Certify.Training.Robustness;

namespace Certify.Cli.Commands;

/// <summary>
/// <c>certify certify-accuracy MODEL --data mnist --eps E [--method ibp|crown|alpha-crown]</c>: clean, PGD and certified
/// accuracy on the 2,000 test digits, the IBP tightness diagnostic, and a PNG bar chart of certified accuracy against ε.
/// </summary>
public sealed class CertifyAccuracyCommand : ICliCommand
{
    public Command Build()
    {
        var model = new Argument<string>("model") { Description = "trained model: .onnx, or a .ckpt checkpoint from 'certify train'" };
        var data = new Option<string>("--data") { Description = "data set: mnist", DefaultValueFactory = _ => "mnist" }.OneOf("mnist");
        var eps = new Option<double>("--eps") { Description = "L-infinity radius in pixel units", DefaultValueFactory = _ => 0.1 }.InRange(0, 1);
        var method = new Option<string>("--method") { Description = "ibp, crown, alpha-crown or complete", DefaultValueFactory = _ => "crown" }.OneOf("ibp", "crown", "alpha-crown", "crown-ibp", "complete");
        var samples = new Option<int?>("--samples") { Description = "use only the first N test digits" }.AtLeast(1);
        var plot = new Option<string?>("--plot") { Description = "PNG file for the certified-accuracy-vs-epsilon chart (default: MODEL.certified.png)" };
        var noCurve = new Option<bool>("--no-curve") { Description = "skip the curve over epsilon (and the chart)" };
        var cache = new Option<string?>("--cache") { Description = "MNIST cache folder" };
        var timeout = new Option<double>("--timeout") { Description = "--method complete: verifier seconds per sample that bounds and PGD leave open", DefaultValueFactory = _ => 10 }.Seconds();
        var cmd = new Command("certify-accuracy", "Clean, PGD and certified accuracy of a model on the MNIST test digits, with a chart over epsilon.")
        {
            model, data, eps, method, samples, plot, noCurve, cache, timeout,
        };
        cmd.SetAction(r =>
        {
            if (r.GetValue(data) is not "mnist") throw new CliException($"--data {r.GetValue(data)}: supported: mnist");
            var path = r.GetValue(model)!;
            double e = r.GetValue(eps);
            if (!(e >= 0)) throw new CliException($"--eps must be non-negative (got {e})");
            bool complete = r.GetValue(method)!.Equals("complete", StringComparison.OrdinalIgnoreCase);
            // Complete certification draws its curve with alpha-CROWN (the verifier runs at --eps only).
            var m = complete ? BoundMethod.AlphaCrown : r.GetValue(method)!.ToLowerInvariant() switch
            {
                "ibp" => BoundMethod.Ibp,
                "crown" => BoundMethod.Crown,
                "alpha-crown" => BoundMethod.AlphaCrown,
                "crown-ibp" => BoundMethod.CrownIbp,
                var other => throw new CliException($"--method {other}: supported: ibp, crown, alpha-crown, crown-ibp, complete"),
            };
            if (!r.GetValue(noCurve)) OutputFiles.Check(r.GetValue(plot) ?? Path.ChangeExtension(path, ".certified.png"), "--plot");
            Certify.Graph.ComputationGraph graph;
            try { graph = ModelFiles.Load(path); }
            catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException or Certify.Import.ImportException) { throw new CliException(ex.Message); }
            MnistDataset test;
            try { test = MnistDataset.LoadOrFetch(r.GetValue(cache), Console.Error.WriteLine).Split().Test; }
            catch (Exception ex) when (ex is InvalidOperationException or InvalidDataException) { throw new CliException(ex.Message); }
            if (r.GetValue(samples) is { } n) test = test.Take(n);
            Console.WriteLine($"{path}: {graph.ParameterCount:N0} parameters, {test.Count} test digits, eps {F(e)}");
            var result = AccuracyStudy.Run(graph, test, e, m, curve: !r.GetValue(noCurve), log: s => Console.WriteLine("  " + s));
            var tight = IbpTightness.Compute(graph, test, e, samples: Math.Min(100, test.Count));
            var a = result.AtEps;
            Console.WriteLine($"clean {P(a.Clean)}  PGD@{F(e)} {P(a.Pgd!.Value)}  certified@{F(e)} ({a.CertifiedBy}) {P(a.Certified!.Value)}  " +
                $"IBP tightness {tight.Mean:F4} (min {tight.Min:F4}, max {tight.Max:F4}, {tight.Samples} digits)  {result.Elapsed.TotalSeconds:F1}s");
            if (complete)
            {
                using var reference = path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? new Certify.Verification.OnnxReferenceModel(path) : null;
                var c = CompleteCertifier.Run(graph, test, e, TimeSpan.FromSeconds(r.GetValue(timeout)), reference, s => Console.WriteLine("  " + s));
                Console.WriteLine($"complete@{F(e)}: certified {P(c.Certified)} (bounds {c.Count(SampleOutcome.Bounds)}, verifier {c.Count(SampleOutcome.Verified)}), " +
                    $"falsified {c.Count(SampleOutcome.Falsified)}, misclassified {c.Count(SampleOutcome.Wrong)}, undecided {c.Count(SampleOutcome.Unknown)} " +
                    $"(robust accuracy between {P(c.Certified)} and {P(c.Upper)})  {c.Elapsed.TotalSeconds:F1}s");
            }
            if (result.Curve.Count > 0)
            {
                Console.WriteLine("eps       certified");
                foreach (var p in result.Curve) Console.WriteLine($"{F(p.Eps),-9} {P(p.Certified)}");
                var png = r.GetValue(plot) ?? Path.ChangeExtension(path, ".certified.png");
                var chart = new Certify.Reports.BarChart($"certified accuracy ({result.CurveMethod}), {test.Count} test digits", "epsilon", "certified %");
                chart.Add("clean", 100 * a.Clean);
                foreach (var p in result.Curve) chart.Add(F(p.Eps), 100 * p.Certified);
                OutputFiles.Write(png, "--plot", () => chart.Save(png));
                Console.WriteLine($"chart: {png}");
            }
            return 0;
        });
        return cmd;
    }

    static string P(double f) => (100 * f).ToString("F2", CultureInfo.InvariantCulture) + "%";
    static string F(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);
}

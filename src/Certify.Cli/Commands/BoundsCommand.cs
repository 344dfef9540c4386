using System.CommandLine;
using System.Globalization;
using Certify.Bounds;
using Certify.Cli.Configuration;
using Certify.Spec;
using static TorchSharp.torch;

namespace Certify.Cli.Commands;

/// <summary><c>certify bounds MODEL PROP --method ibp|crown|alpha-crown</c>: bounds of the outputs and of each specification row.</summary>
public sealed class BoundsCommand : ICliCommand
{
    public Command Build()
    {
        var model = new Argument<string>("model") { Description = "Network file (.onnx or .nnet)." };
        var prop = new Argument<string>("property") { Description = "VNNLIB property file." };
        var method = new Option<string>("--method") { Description = "ibp, crown or alpha-crown. " + BoundOptions.MethodsHelp, DefaultValueFactory = _ => "crown" }.OneOf("ibp", "crown", "alpha-crown");
        var plain = new Option<bool>("--plain-crown") { Description = "Intermediate bounds by CROWN alone: no intersection with interval bounds and no forward-mode pre-filter (auto_LiRPA's default CROWN, the rows of ../shared/oracle)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON document instead of text (specs/result-json.md): the bounds of every output and of every property row." };
        var jsonOut = new Option<string?>("--json-out") { Description = "Also write that JSON document to this file." };
        var config = ConfigOption.Create();
        var dbl = new Option<bool>("--double") { Description = "Compute in float64 instead of float32." };
        var device = new Option<string>("--device") { Description = "cpu or cuda.", DefaultValueFactory = _ => "cpu" };
        var iters = new Option<int>("--alpha-iterations") { Description = "Adam iterations of alpha-CROWN.", DefaultValueFactory = _ => 20 }.AtLeast(1);
        var cmd = new Command("bounds", "Bound the outputs of a network and each row of a VNNLIB property over its input box. " +
                                        "Exit codes (specs/exit-codes.md): 0 bounds printed; 2 bad input (file, option, config, an operator without a bound rule); 3 internal error.")
            { model, prop, method, json, jsonOut, dbl, device, iters, plain, config };
        cmd.SetAction(parse =>
        {
            var jsonPath = parse.GetValue(jsonOut);
            OutputFiles.Check(jsonPath, "--json-out");
            // The file's bound settings, with the flags that were typed on top (a flag's default does not override the file).
            var options = ConfigOption.Load(parse, config).Bounds with { Device = ParseDevice(parse.GetValue(device)!) };
            if (ConfigOption.Given(parse, method))
            {
                try { options = options with { Method = BoundOptions.ParseMethod(parse.GetValue(method)!) }; }
                catch (ArgumentException e) { throw new CliException(e.Message); }
            }
            if (parse.GetValue(dbl)) options = options with { DType = ScalarType.Float64 };
            if (parse.GetValue(plain)) options = options.PlainCrown();
            if (ConfigOption.Given(parse, iters)) options = options with { AlphaIterations = parse.GetValue(iters) };
            var modelPath = parse.GetValue(model)!;
            var graph = ModelLoading.Load(modelPath);
            var propPath = parse.GetValue(prop)!;
            var spec = VnnLibParser.Parse(propPath);
            SpecificationBoundReport report;
            try { report = SpecificationBounds.Compute(new BoundEngine(graph, options), spec); }
            catch (Exception e) when (e is NotSupportedException or ArgumentException) { throw new CliException(e.Message); }
            var doc = ResultJson.Text(ResultJson.Bounds(modelPath, propPath, report));
            if (parse.GetValue(json)) Console.Write(doc);
            else Print(report);
            if (jsonPath is not null) OutputFiles.Write(jsonPath, "--json-out", () => File.WriteAllText(jsonPath, doc));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static Device ParseDevice(string text)
    {
        switch (text.ToLowerInvariant())
        {
            case "cpu": return CPU;
            case "cuda":
                if (!cuda.is_available()) throw new CliException("--device cuda: no CUDA device is available to this build (TorchSharp-cpu); use --device cpu");
                return CUDA;
            default: throw new CliException($"--device {text}: supported devices are cpu and cuda");
        }
    }

    static string F(double v) => (v == 0 ? 0 : v).ToString("G9", CultureInfo.InvariantCulture); // no "-0"

    static void Print(SpecificationBoundReport r)
    {
        Console.WriteLine($"method: {BoundOptions.MethodName(r.Method)}   time: {r.Seconds.ToString("F4", CultureInfo.InvariantCulture)} s");
        if (r.IbpFallbacks.Count > 0) Console.WriteLine($"IBP fallback (no CROWN rule): {string.Join(", ", r.IbpFallbacks)}");
        Console.WriteLine("outputs:");
        for (int i = 0; i < r.OutputLower.Length; i++) Console.WriteLine($"  Y_{i}: [{F(r.OutputLower[i])}, {F(r.OutputUpper[i])}]");
        Console.WriteLine("rows (unsafe when c·y <= d):");
        foreach (var row in r.Rows)
        {
            var terms = string.Join(" ", row.C.Select((c, i) => (c, i)).Where(t => t.c != 0).Select(t => $"{(t.c >= 0 ? "+" : "-")}{F(Math.Abs(t.c))}·Y_{t.i}"));
            var region = r.Rows.Any(x => x.Region > 0) ? $"region {row.Region} " : "";
            Console.WriteLine($"  {region}clause {row.Clause}: {terms} <= {F(row.D)}   bounds [{F(row.Lower)}, {F(row.Upper)}]{(row.Refuted ? "   refuted" : "")}");
        }
    }
}

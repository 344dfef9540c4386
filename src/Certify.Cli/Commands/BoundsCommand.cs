using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Certify.Bounds;
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
        var method = new Option<string>("--method") { Description = "ibp, crown or alpha-crown.", DefaultValueFactory = _ => "crown" }.OneOf("ibp", "crown", "alpha-crown");
        var json = new Option<string?>("--json") { Description = "Also write the bounds as JSON to this file." };
        var dbl = new Option<bool>("--double") { Description = "Compute in float64 instead of float32." };
        var device = new Option<string>("--device") { Description = "cpu or cuda.", DefaultValueFactory = _ => "cpu" };
        var iters = new Option<int>("--alpha-iterations") { Description = "Adam iterations of alpha-CROWN.", DefaultValueFactory = _ => 20 }.AtLeast(1);
        var cmd = new Command("bounds", "Bound the outputs of a network and each row of a VNNLIB property over its input box.")
            { model, prop, method, json, dbl, device, iters };
        cmd.SetAction(parse =>
        {
            var jsonPath = parse.GetValue(json);
            OutputFiles.Check(jsonPath, "--json");
            BoundMethod m;
            try { m = BoundOptions.ParseMethod(parse.GetValue(method)!); }
            catch (ArgumentException e) { throw new CliException(e.Message); }
            var graph = ModelLoading.Load(parse.GetValue(model)!);
            var propPath = parse.GetValue(prop)!;
            var spec = VnnLibParser.Parse(propPath);
            var options = new BoundOptions
            {
                Method = m,
                DType = parse.GetValue(dbl) ? ScalarType.Float64 : ScalarType.Float32,
                Device = ParseDevice(parse.GetValue(device)!),
                AlphaIterations = parse.GetValue(iters),
            };
            SpecificationBoundReport report;
            try { report = SpecificationBounds.Compute(new BoundEngine(graph, options), spec); }
            catch (Exception e) when (e is NotSupportedException or ArgumentException) { throw new CliException(e.Message); }
            Print(report);
            if (jsonPath is not null) OutputFiles.Write(jsonPath, "--json", () => File.WriteAllText(jsonPath, ToJson(report)));
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

    static string ToJson(SpecificationBoundReport r)
    {
        var multi = r.Rows.Any(x => x.Region > 0);
        var doc = new Dictionary<string, object>
        {
            ["method"] = BoundOptions.MethodName(r.Method),
            ["seconds"] = r.Seconds,
            ["outputs"] = new Dictionary<string, double[]> { ["lower"] = r.OutputLower, ["upper"] = r.OutputUpper },
            ["rows"] = r.Rows.Select(x =>
            {
                var d = new Dictionary<string, object> { ["clause"] = x.Clause, ["c"] = x.C, ["d"] = x.D, ["lower"] = x.Lower, ["upper"] = x.Upper };
                if (multi) d["region"] = x.Region;
                return d;
            }).ToList(),
        };
        if (r.IbpFallbacks.Count > 0) doc["ibp_fallback"] = r.IbpFallbacks;
        return JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
    }
}

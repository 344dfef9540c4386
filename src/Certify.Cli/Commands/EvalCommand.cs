using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Certify.Import;
using Certify.Runtime;
using TorchSharp;

namespace Certify.Cli.Commands;

/// <summary><c>certify eval MODEL --input x.json</c>: runs the imported network on one input.</summary>
public sealed class EvalCommand : ICliCommand
{
    public Command Build()
    {
        var model = new Argument<string>("model") { Description = "Network file (.onnx, or .nnet where supported)." };
        var input = new Option<string>("--input") { Description = "JSON file with a flat array of numbers (the input in row-major order).", Required = true };
        var dbl = new Option<bool>("--double") { Description = "Evaluate in float64 instead of float32." };
        var check = new Option<bool>("--check") { Description = "Also run ONNX Runtime on the original file and print the max difference." };
        var cmd = new Command("eval", "Evaluate a network on one input and print its outputs.") { model, input, dbl, check };
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(model)!;
            var x = ReadInput(parse.GetValue(input)!);
            var g = ModelLoading.Load(path);
            if (x.Length != g.InputSize)
                throw new CliException($"{parse.GetValue(input)}: has {x.Length} numbers but {path} takes {g.InputSize} (shape {Graph.Op.ShapeText(g.InputShape)})");
            var dtype = parse.GetValue(dbl) ? torch.ScalarType.Float64 : torch.ScalarType.Float32;
            var y = GraphAgreement.Evaluate(g, new[] { x }, dtype)[0];
            Console.WriteLine("certify:      " + Format(y));
            if (parse.GetValue(check))
            {
                if (!path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) throw new CliException("--check needs an .onnx model");
                double[] r;
                try { using var ort = new OnnxRuntimeModel(path); r = ort.Run(x); }
                catch (ImportException e) { throw new CliException(e.Message); }
                Console.WriteLine("onnxruntime:  " + Format(r));
                if (r.Length != y.Length) throw new CliException($"output sizes differ: {y.Length} vs {r.Length}");
                double max = y.Zip(r, (a, b) => Math.Abs(a - b)).Max();
                Console.WriteLine($"max |difference|: {max.ToString("G6", CultureInfo.InvariantCulture)}");
            }
            return 0;
        });
        return cmd;
    }

    static string Format(double[] v) => "[" + string.Join(", ", v.Select(a => a.ToString("G9", CultureInfo.InvariantCulture))) + "]";

    static double[] ReadInput(string file)
    {
        var bytes = Certify.IO.InputFile.ReadAllBytes(file, Certify.IO.InputFile.MaxListBytes, problem => new CliException($"{file}: {problem}"));
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new CliException($"{file}: expected a flat JSON array of numbers");
            return doc.RootElement.EnumerateArray().Select((e, i) => e.ValueKind == JsonValueKind.Number && double.IsFinite(e.GetDouble()) ? e.GetDouble()
                : e.ValueKind == JsonValueKind.Number ? throw new CliException($"{file}: element {i} ({e.GetRawText()}) is outside the range of double precision")
                : throw new CliException($"{file}: element {i} is not a number (expected a flat JSON array of numbers)")).ToArray();
        }
        catch (JsonException e) { throw new CliException($"{file}: not valid JSON ({e.Message})"); }
    }
}

using System.CommandLine;
using System.Globalization;
using Certify.Training.Data;

namespace Certify.Cli.Commands;

/// <summary><c>certify mnist-properties --eps 0.1 --count 10 --out DIR</c>: VNNLIB robustness properties from MNIST test digits.</summary>
public sealed class MnistPropertiesCommand : ICliCommand
{
    public Command Build()
    {
        var eps = new Option<double>("--eps") { Description = "L-infinity radius in pixel units", DefaultValueFactory = _ => 0.1 };
        var count = new Option<int>("--count") { Description = "number of test digits (the first ones of the 2,000-digit test split)", DefaultValueFactory = _ => 10 };
        var first = new Option<int>("--first") { Description = "index of the first test digit", DefaultValueFactory = _ => 0 };
        var outDir = new Option<string>("--out") { Description = "folder for the .vnnlib files", DefaultValueFactory = _ => "." };
        var onnx = new Option<string?>("--instances-for") { Description = "also write instances.csv (VNN-COMP format) pairing this ONNX model with each property" };
        var timeout = new Option<int>("--timeout") { Description = "per-instance timeout (seconds) written to instances.csv", DefaultValueFactory = _ => 60 };
        var cache = new Option<string?>("--cache") { Description = "MNIST cache folder" };
        var cmd = new Command("mnist-properties", "Write VNNLIB local-robustness properties for MNIST test digits.") { eps, count, first, outDir, onnx, timeout, cache };
        cmd.SetAction(r =>
        {
            double e = r.GetValue(eps);
            if (!(e >= 0)) throw new CliException($"--eps must be non-negative (got {e})");
            MnistDataset test;
            try { test = MnistDataset.LoadOrFetch(r.GetValue(cache), Console.Error.WriteLine).Split().Test; }
            catch (Exception ex) when (ex is InvalidOperationException or InvalidDataException) { throw new CliException(ex.Message); }
            int start = r.GetValue(first), n = r.GetValue(count);
            if (start < 0 || n < 1 || start + n > test.Count) throw new CliException($"--first {start} --count {n}: the test split has {test.Count} digits");
            var dir = r.GetValue(outDir)!;
            var paths = MnistProperties.Write(test, Enumerable.Range(start, n), e, dir);
            foreach (var p in paths) Console.WriteLine(p);
            if (r.GetValue(onnx) is { } model)
            {
                var csv = Path.Combine(dir, "instances.csv");
                File.WriteAllLines(csv, paths.Select(p => string.Join(",", model, Path.GetRelativePath(Path.GetDirectoryName(Path.GetFullPath(csv))!, p),
                    r.GetValue(timeout).ToString(CultureInfo.InvariantCulture))));
                Console.WriteLine(csv);
            }
            return 0;
        });
        return cmd;
    }
}

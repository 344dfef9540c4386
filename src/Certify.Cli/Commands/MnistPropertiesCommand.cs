using System.CommandLine;
using System.Globalization;
using Certify.Training.Data;

namespace Certify.Cli.Commands;

/// <summary>
/// <c>certify mnist-properties --eps 0.1 --count 10 --out DIR</c>: VNNLIB robustness properties from MNIST test digits.
/// Exit codes: 0 written; 2 bad input (an option, an --out that is a file or cannot be written, a missing model,
/// MNIST unavailable).
/// </summary>
public sealed class MnistPropertiesCommand : ICliCommand
{
    public Command Build()
    {
        var eps = new Option<double>("--eps") { Description = "L-infinity radius in pixel units", DefaultValueFactory = _ => 0.1 }.NonNegative();
        var count = new Option<int>("--count") { Description = "number of test digits (the first ones of the 2,000-digit test split)", DefaultValueFactory = _ => 10 }.AtLeast(1);
        var first = new Option<int>("--first") { Description = "index of the first test digit", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var outDir = new Option<string>("--out") { Description = "folder for the .vnnlib files (created when missing)", DefaultValueFactory = _ => "." };
        var onnx = new Option<string?>("--instances-for") { Description = "also write instances.csv (VNN-COMP format) pairing this ONNX model with each property; paths in it are relative to the --out folder, as `certify run` reads them" };
        var timeout = new Option<double>("--timeout") { Description = "per-instance timeout (seconds) written to instances.csv", DefaultValueFactory = _ => 60 }.Seconds();
        var cache = new Option<string?>("--cache") { Description = "MNIST cache folder" };
        var cmd = new Command("mnist-properties", "Write VNNLIB local-robustness properties for MNIST test digits.") { eps, count, first, outDir, onnx, timeout, cache };
        cmd.SetAction(r =>
        {
            double e = r.GetValue(eps);
            var dir = r.GetValue(outDir)!;
            // Checked before MNIST is loaded (or fetched): an --out naming an existing file once ended in a stack trace.
            OutputFiles.CheckFolder(dir, "--out");
            var model = r.GetValue(onnx);
            if (model is not null && !File.Exists(model)) throw new CliException($"--instances-for {model}: no such file");
            MnistDataset test;
            try { test = MnistDataset.LoadOrFetch(r.GetValue(cache), Console.Error.WriteLine).Split().Test; }
            catch (Exception ex) when (ex is InvalidOperationException or InvalidDataException) { throw new CliException(ex.Message); }
            int start = r.GetValue(first), n = r.GetValue(count);
            if (start < 0 || n < 1 || start + n > test.Count) throw new CliException($"--first {start} --count {n}: the test split has {test.Count} digits");
            IReadOnlyList<string> paths = [];
            OutputFiles.Write(dir, "--out", () => paths = MnistProperties.Write(test, Enumerable.Range(start, n), e, dir));
            foreach (var p in paths) Console.WriteLine(p);
            if (model is not null)
            {
                var csv = Path.Combine(dir, "instances.csv");
                // Every path relative to the list's own folder, as VNN-COMP lists are: the model path once went in as typed
                // (relative to the working folder), which `certify run` could not resolve from the list's folder.
                var csvDir = Path.GetDirectoryName(Path.GetFullPath(csv))!;
                var modelPath = Path.GetRelativePath(csvDir, Path.GetFullPath(model));
                OutputFiles.Write(csv, "--out", () => Certify.Verification.Benchmarks.CsvLines.WriteAll(csv, null, paths.Select(p => new[] { modelPath, Path.GetRelativePath(csvDir, Path.GetFullPath(p)),
                    r.GetValue(timeout).ToString("R", CultureInfo.InvariantCulture) })));
                Console.WriteLine(csv);
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }
}

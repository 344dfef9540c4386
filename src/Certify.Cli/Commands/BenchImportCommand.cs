using System.CommandLine;
using Certify.Runtime;

namespace Certify.Cli.Commands;

/// <summary><c>certify bench-import</c>: imports every ONNX network under a folder and measures agreement with ONNX Runtime.</summary>
public sealed class BenchImportCommand : ICliCommand
{
    public Command Build()
    {
        var root = new Option<string>("--root") { Description = "Folder searched recursively for *.onnx (default ../shared/bench).", DefaultValueFactory = _ => "../shared/bench" };
        var output = new Option<string?>("--out") { Description = "Write the markdown report here too (e.g. benchmarks/import/results.md)." };
        var samples = new Option<int>("--samples") { Description = "Random inputs per network (default 8).", DefaultValueFactory = _ => 8 }.AtLeast(1);
        var machine = new Option<string>("--machine") { Description = "Machine description written in the report.", DefaultValueFactory = _ => $"{Environment.ProcessorCount}-core CPU" };
        var cmd = new Command("bench-import", "Import every ONNX network under a folder, compare with ONNX Runtime, and report a markdown table.")
        {
            root, output, samples, machine
        };
        cmd.SetAction(parse =>
        {
            OutputFiles.Check(parse.GetValue(output), "--out");
            var dir = parse.GetValue(root)!;
            if (!Directory.Exists(dir)) throw new CliException($"{dir}: no such folder");
            int n = parse.GetValue(samples);
            if (n < 1) throw new CliException("--samples must be at least 1");
            var models = ImportSurvey.FindModels(dir);
            if (models.Count == 0) throw new CliException($"{dir}: no *.onnx files");
            var entries = new List<SurveyEntry>();
            foreach (var m in models)
            {
                var e = ImportSurvey.Check(dir, m, n);
                entries.Add(e);
                var status = e.Agreement is { } a ? $"ok  rel {a.MaxRelativeError:0.0e+0}" : "FAIL " + ImportSurvey.BlockingOperator(e.Error ?? "");
                Console.Error.WriteLine($"{Path.GetRelativePath(dir, m),-80} {status}");
            }
            var md = ImportSurvey.Markdown(dir, entries, parse.GetValue(machine)!);
            Console.WriteLine(md);
            if (parse.GetValue(output) is { } path) OutputFiles.Write(path, "--out", () => File.WriteAllText(path, md));
            return 0;
        });
        return cmd;
    }
}

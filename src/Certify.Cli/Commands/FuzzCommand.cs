using System.CommandLine;
using Certify.Fuzzing;

namespace Certify.Cli.Commands;

/// <summary>
/// <c>certify fuzz --target vnnlib|onnx --seconds N</c>: coverage-guided fuzzing of the VNNLIB parser or the ONNX
/// importer (a benchmark, not a test: its numbers depend on the machine). Exits 1 when a crash, hang or memory blow-up
/// was found, so a script notices; the inputs are saved under <c>--crashes</c>.
/// </summary>
public sealed class FuzzCommand : ICliCommand
{
    public Command Build()
    {
        var target = new Option<string>("--target") { Description = "What to fuzz: vnnlib (the property parser) or onnx (the model importer, plus a forward pass of every accepted model).", Required = true }.OneOf("vnnlib", "onnx");
        var seconds = new Option<double>("--seconds") { Description = "How long to fuzz (default 60).", DefaultValueFactory = _ => 60 }.Seconds();
        var seed = new Option<int>("--seed") { Description = "Seed of the mutation choices (default 1).", DefaultValueFactory = _ => 1 };
        var crashes = new Option<string>("--crashes") { Description = "Folder for crashing inputs and their one-line summaries (default /tmp/certify-fuzz/<target>).", DefaultValueFactory = _ => "" };
        var timeout = new Option<double>("--input-timeout") { Description = "Seconds one input may run before it is reported as a hang (default 2).", DefaultValueFactory = _ => 2 }.Seconds();
        var seeds = new Option<string[]>("--seed-dir") { Description = "Folders searched for small seed files (*.vnnlib or *.onnx) besides the built-in seeds (default examples and ../shared/bench when present).", AllowMultipleArgumentsPerToken = true };
        var cmd = new Command("fuzz", "Coverage-guided fuzzing of the VNNLIB parser or the ONNX importer (SharpFuzz edge coverage, in-process mutation loop). Exit 0 when nothing was found, 1 when a crash, hang or memory blow-up was found.")
        {
            target, seconds, seed, crashes, timeout, seeds,
        };
        cmd.SetAction(parse =>
        {
            var name = parse.GetValue(target)!.ToLowerInvariant();
            var dir = parse.GetValue(crashes) is { Length: > 0 } d ? d : Path.Combine(Path.GetTempPath(), "certify-fuzz", name);
            OutputFiles.CheckFolder(dir, "--crashes");
            var folders = parse.GetValue(seeds) is { Length: > 0 } given ? given : new[] { "examples", "../shared/bench", "/work/shared/bench" };
            foreach (var f in folders)
                if (!Directory.Exists(f) && parse.GetValue(seeds) is { Length: > 0 }) throw new CliException($"--seed-dir {f}: no such folder");
            TorchSharp.torch.set_num_threads(1);   // one core per fuzzer: the numbers then mean one core's throughput
            Console.Error.WriteLine($"certify fuzz: instrumenting Certify.Core for {name} ...");
            IFuzzTarget t = name == "vnnlib" ? new VnnLibTarget(folders) : new OnnxTarget(folders);
            var core = InstrumentedCore.Shared;
            Console.Error.WriteLine($"certify fuzz: {core.InstrumentedTypes} types instrumented in {core.InstrumentationTime.TotalSeconds:F1} s; crashes go to {dir}");
            using var cancel = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
            Console.CancelKeyPress += onCancel;
            FuzzReport report;
            try
            {
                report = FuzzEngine.Run(t, new FuzzOptions
                {
                    Seed = parse.GetValue(seed),
                    Duration = TimeSpan.FromSeconds(parse.GetValue(seconds)),
                    InputTimeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
                    CrashDirectory = dir,
                    Cancel = cancel.Token,
                    Progress = s => Console.Error.WriteLine(
                        $"[{s.Elapsed.TotalSeconds,7:F0} s] execs {s.Executions,10:N0}  {s.ExecutionsPerSecond,7:N0}/s  corpus {s.Corpus,5}  edges {s.Edges,5}  paths {s.DistinctPaths,7:N0}  crashes {s.Crashes}  hangs {s.Hangs}  memory {s.MemoryFindings}"),
                });
            }
            finally { Console.CancelKeyPress -= onCancel; }
            Console.WriteLine(FuzzReportText.Markdown(report));
            bool found = report.Findings.Count > 0;
            return found ? ExitCodes.Failure : report.StoppedEarly == "interrupted" ? ExitCodes.Interrupted : ExitCodes.Ok;
        });
        return cmd;
    }
}

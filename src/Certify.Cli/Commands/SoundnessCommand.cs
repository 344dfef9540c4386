using System.CommandLine;
using System.Diagnostics;
using Certify.Soundness;
using Certify.Verification.Benchmarks;
using Certify.Spec;
using Spectre.Console;

namespace Certify.Cli.Commands;

/// <summary>
/// <c>certify soundness generate</c>: builds a benchmark with planted counterexamples; <c>certify soundness run</c>:
/// runs a verifier on a benchmark and flags unsound answers.
/// <para>Exit codes (<see cref="ExitCodes"/>): <c>run</c> exits 0 when every answer is judged correct, missed or
/// unjudged, 1 when one is UNSOUND, an invalid counterexample or a refuted label, or when the tool failed on an instance
/// (an error is never 0); <c>generate</c> exits 0 when every network passed its checks, 1 when one failed them; both
/// exit 2 for bad input.</para>
/// </summary>
public sealed class SoundnessCommand : ICliCommand
{
    public Command Build()
    {
        var cmd = new Command("soundness", "Soundness testing of verifiers: benchmarks with planted counterexamples, and a harness that flags wrong answers.");
        cmd.Subcommands.Add(Generate());
        cmd.Subcommands.Add(RunCommand());
        return cmd;
    }

    static Command Generate()
    {
        var arch = new Option<string>("--arch") { Description = "Architectures, comma-separated: mlp, cnn.", DefaultValueFactory = _ => "mlp" };
        var act = new Option<string>("--act") { Description = "Activations, comma-separated: relu, sigmoid, tanh.", DefaultValueFactory = _ => "relu" };
        var inputs = new Option<int>("--inputs") { Description = "Inputs per network (a square such as 9 or 16 for cnn).", DefaultValueFactory = _ => 9 }.AtLeast(1);
        var eps = new Option<double>("--eps") { Description = "Half-width of each input box.", DefaultValueFactory = _ => 0.05 }.Positive();
        var count = new Option<int>("--count") { Description = "Networks per (arch, act); each gives a planted and a control instance.", DefaultValueFactory = _ => 1 }.AtLeast(1);
        var output = new Option<string>("--out") { Description = "Output folder (VNN-COMP layout).", Required = true };
        var seed = new Option<long>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 0 }.AnyInteger();
        var timeout = new Option<double>("--timeout") { Description = "Time limit per instance written to instances.csv (seconds).", DefaultValueFactory = _ => 60 }.Seconds();
        var steps = new Option<int>("--steps") { Description = "Training steps per network.", DefaultValueFactory = _ => 600 }.AtLeast(1);
        var hole = new Option<double>("--bump-radius") { Description = "L1 radius of the planted bump (the only place the property fails), as a fraction of the box half-width.", DefaultValueFactory = _ => 0.1 }.Positive();
        var margin = new Option<double>("--margin") { Description = "Output margin: the planted point violates by it, the rest of the boxes satisfy by it.", DefaultValueFactory = _ => 0.1 }.Positive();
        var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => 0.003 }.Positive();
        var restarts = new Option<int>("--attack-restarts") { Description = "Restarts of the checking PGD attack.", DefaultValueFactory = _ => 1000 }.AtLeast(1);
        var attackSteps = new Option<int>("--attack-steps") { Description = "Steps per restart of the checking attack.", DefaultValueFactory = _ => 100 }.AtLeast(1);
        var samples = new Option<int>("--attack-samples") { Description = "Random samples of the checking attack.", DefaultValueFactory = _ => 20000 }.AtLeast(0);
        var verbose = new Option<bool>("--verbose") { Description = "Print each generation stage with its time." };
        var cmd = new Command("generate", "Train small networks robustly safe on a box, plant a counterexample with a tiny ReLU bump, and write a VNN-COMP benchmark (planted points kept in counterexamples/). Exit codes (specs/exit-codes.md): 0 written; 1 a network failed its checks; 2 bad input; 3 internal error; 130 interrupted.")
        {
            arch, act, inputs, eps, count, output, seed, timeout, steps, restarts, attackSteps, samples, verbose, hole, lr, margin
        };
        cmd.SetAction(parse =>
        {
            GeneratorOptions options;
            try
            {
                options = new GeneratorOptions(
                    parse.GetValue(arch)!.Split(',').Select(PlantedNetwork.ParseArchitecture).ToList(),
                    parse.GetValue(act)!.Split(',').Select(PlantedNetwork.ParseActivation).ToList(),
                    parse.GetValue(inputs), parse.GetValue(eps), parse.GetValue(count), parse.GetValue(seed), parse.GetValue(timeout),
                    Training: new TrainingOptions(Steps: parse.GetValue(steps), LearningRate: parse.GetValue(lr), BumpRadius: parse.GetValue(hole), Margin: parse.GetValue(margin)),
                    CheckAttack: new AttackBudget(parse.GetValue(restarts), parse.GetValue(attackSteps), parse.GetValue(samples)));
                if (options.Architectures.Contains(Architecture.Cnn)) PlantedNetwork.Create(Architecture.Cnn, Activation.Relu, options.Inputs).Dispose();
            }
            catch (ArgumentException e) { throw new CliException(e.Message); }
            var dir = parse.GetValue(output)!;
            OutputFiles.CheckFolder(dir, "--out");
            Console.Error.WriteLine($"check attack per box: {options.CheckAttack}");
            var clock = Stopwatch.StartNew();
            IReadOnlyList<GeneratedNetwork> nets;
            try
            {
                var generator = new SoundnessGenerator(options) { Log = parse.GetValue(verbose) ? Console.Error.WriteLine : null };
                nets = generator.Generate(dir, n =>
                    Console.Error.WriteLine($"{n.Name,-16} {(n.Ok ? "ok  " : "FAIL")} attempts {n.Attempts}  {n.Detail}"));
            }
            catch (ArgumentException e) { throw new CliException(e.Message); }
            int instances = nets.Sum(n => n.Instances.Count);
            int planted = nets.Sum(n => n.Instances.Count(i => i.IsPlanted));
            int proven = nets.Sum(n => n.Instances.Count(i => !i.IsPlanted && i.Expected == "unsat"));
            Console.WriteLine($"{instances} instances in {dir}: {planted} planted, {instances - planted} controls ({proven} proved unsat by CROWN input splitting); " +
                              $"{nets.Count(n => !n.Ok)} network(s) failed the checks; {clock.Elapsed.TotalSeconds:F0} s");
            return nets.All(n => n.Ok) ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return cmd;
    }

    static Command RunCommand()
    {
        var dir = new Argument<string>("dir") { Description = "Benchmark folder (instances.csv, onnx/, vnnlib/, optional counterexamples/manifest.csv)." };
        var tool = new Option<string>("--tool")
        {
            Description = "Verifier command with {onnx} {vnnlib} {results} {timeout}; 'certify' for Certify's verifier in-process, 'certify:drop-split-branch' " +
                          "for a deliberately unsound Certify; 'builtin' for the small input-split prover, " +
                          "'builtin:skip-intermediate-bounds' or 'builtin:drop-split-branch' for deliberately unsound variants. " +
                          "Default: $CERTIFY_SOUNDNESS_TOOL or Certify's own verify command.",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CERTIFY_SOUNDNESS_TOOL") is { Length: > 0 } t ? t : CommandTool.CertifyTemplate,
        };
        var results = new Option<string?>("--results-dir") { Description = "Where result files go (default: a new temporary folder)." };
        var timeout = new Option<double?>("--timeout") { Description = "Override every instance's time limit (seconds)." }.Seconds();
        var grace = new Option<double>("--grace") { Description = "Seconds a tool may run past its time limit before its process tree is killed.", DefaultValueFactory = _ => 10 }.NonNegative();
        var cmd = new Command("run", "Run a verifier on a benchmark and judge each answer (correct / missed / UNSOUND / invalid counterexample). " +
                                     "Exit codes (specs/exit-codes.md): 0 every answer sound; 1 any wrong answer or any instance the tool failed on (crash, no result file); 2 bad input; 3 internal error; 130 interrupted.")
        {
            dir, tool, results, timeout, grace
        };
        cmd.SetAction(parse =>
        {
            var bench = parse.GetValue(dir)!;
            if (!File.Exists(Path.Combine(bench, "instances.csv"))) throw new CliException($"{bench}: no instances.csv (expected VNN-COMP layout)");
            var spec = parse.GetValue(tool)!;
            IVerifierTool verifier;
            try { verifier = (IVerifierTool?)CertifyTool.TryParse(spec) ?? (IVerifierTool?)BuiltinProverTool.TryParse(spec) ?? new CommandTool(spec, parse.GetValue(grace)); }
            catch (ArgumentException e) { throw new CliException(e.Message); }
            var resultsDir = parse.GetValue(results) ?? Directory.CreateTempSubdirectory("certify-soundness-").FullName;
            OutputFiles.CheckFolder(resultsDir, "--results-dir");
            var harness = new SoundnessHarness(verifier) { TimeoutOverride = parse.GetValue(timeout) };
            int total;
            try { total = BenchmarkInstance.ReadAll(bench).Count; }
            catch (FormatException e) { throw new CliException(e.Message); }
            AnsiConsole.MarkupLine($"tool: [bold]{Markup.Escape(verifier.Name)}[/]  results: {Markup.Escape(resultsDir)}");
            HarnessSummary summary = null!;
            ForegroundProgress.Create().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("instances", maxValue: total);
                    var refresh = new ForegroundProgress.Refresher(ctx);
                    summary = harness.Run(bench, resultsDir,
                        progress: o =>
                        {
                            task.Increment(1);
                            refresh.Tick(force: true);
                            if (o.IsWrong) AnsiConsole.MarkupLine($"[red]{o.Class}[/] {Markup.Escape(o.Vnnlib)}: {Markup.Escape(o.Detail)}");
                        },
                        starting: i => { task.Description = Path.GetFileName(i.Vnnlib); refresh.Tick(force: true); });
                });
            Print(summary);
            if (summary.AnyError)
                Console.Error.WriteLine($"certify: the tool failed on {summary.Count(Classification.Error)} of {summary.Outcomes.Count} instance(s) (no or unreadable result file): those were not tested; exit code {ExitCodes.Failure}");
            if (summary.AnyWrong) Console.Error.WriteLine($"certify: wrong answers (UNSOUND, invalid counterexamples or refuted labels); exit code {ExitCodes.Failure}");
            return summary.Failed ? ExitCodes.Failure : ExitCodes.Ok;
        });
        return cmd;
    }

    static void Print(HarnessSummary s)
    {
        var table = new Table().AddColumns("instance", "kind", "expected", "answer", "judgement", "seconds", "detail");
        foreach (var o in s.Outcomes)
        {
            var cls = o.IsWrong ? $"[red bold]{o.Class.ToString().ToUpperInvariant()}[/]" : o.Class.ToString();
            table.AddRow(Markup.Escape(o.Vnnlib), o.Kind, o.Expected, o.Status is { } st ? ResultFile.Word(st) : "-", cls, o.Seconds.ToString("F1"), Markup.Escape(o.Detail));
        }
        AnsiConsole.Write(table);
        var counts = new Table().AddColumns("judgement", "count");
        foreach (var c in Enum.GetValues<Classification>()) counts.AddRow(c == Classification.Unsound ? "UNSOUND" : c.ToString(), s.Count(c).ToString());
        AnsiConsole.Write(counts);
        AnsiConsole.MarkupLine($"found {s.Found} counterexample(s); planted instances: {s.Planted}; UNSOUND: {s.Count(Classification.Unsound)}; invalid counterexamples: {s.Count(Classification.InvalidCounterexample)}");
    }
}

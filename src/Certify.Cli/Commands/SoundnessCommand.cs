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
        var version = new Option<int>("--version") { Description = "1: the grade-one generator (a ReLU bump planted beside trained layers); 2: counterexamples learned into ordinary networks (issue 16; uses the --families, --models, --planted, --controls, --radii options).", DefaultValueFactory = _ => 1 }.AtLeast(1);
        var families = new Option<string>("--families") { Description = $"Version 2: families, comma-separated, or 'all' ({string.Join(", ", Certify.Soundness.Hidden.HiddenFamily.All.Select(f => f.Name))}).", DefaultValueFactory = _ => "all" };
        var models = new Option<int>("--models") { Description = "Version 2: models per family.", DefaultValueFactory = _ => 2 }.AtLeast(1);
        var plantedCount = new Option<int>("--planted") { Description = "Version 2: boxes with a hidden counterexample per model.", DefaultValueFactory = _ => 8 }.AtLeast(0);
        var controls = new Option<int>("--controls") { Description = "Version 2: control boxes per model.", DefaultValueFactory = _ => 3 }.AtLeast(0);
        var radii = new Option<string>("--radii") { Description = "Version 2: box half-widths, comma-separated, cycled over each model's boxes.", DefaultValueFactory = _ => "0.05,0.1" };
        var proofDomains = new Option<int>("--proof-domains") { Description = "Version 2: branch-and-bound domains for a control's certified proof.", DefaultValueFactory = _ => 3000 }.AtLeast(1);
        var exclusion = new Option<double>("--exclusion") { Description = "Version 2: attack points within this L-inf distance of a planted point (fraction of the half-width) are not pushed back in training.", DefaultValueFactory = _ => 0.1 }.Positive();
        var plantedWeight = new Option<double>("--planted-weight") { Description = "Version 2: weight of the planted-point loss against the mean safe-point loss.", DefaultValueFactory = _ => 0.5 }.Positive();
        var inputScale = new Option<double?>("--input-scale") { Description = "Version 2: first-layer initial weight scale (default 3 / 0.2 = 15)." }.Positive();
        var cmd = new Command("generate", "Train small networks robustly safe on a box, plant a counterexample with a tiny ReLU bump, and write a VNN-COMP benchmark (planted points kept in counterexamples/). Exit codes (specs/exit-codes.md): 0 written; 1 a network failed its checks; 2 bad input; 3 internal error; 130 interrupted.")
        {
            arch, act, inputs, eps, count, output, seed, timeout, steps, restarts, attackSteps, samples, verbose, hole, lr, margin,
            version, families, models, plantedCount, controls, radii, proofDomains, exclusion, plantedWeight, inputScale
        };
        cmd.SetAction(parse =>
        {
            if (parse.GetValue(version) is not (1 or 2)) throw new CliException($"--version must be 1 or 2, got {parse.GetValue(version)}");
            if (parse.GetValue(version) == 2)
            {
                Certify.Soundness.Hidden.HiddenGeneratorOptions o2;
                try
                {
                    var fam = parse.GetValue(families)!.Trim() == "all" ? Certify.Soundness.Hidden.HiddenFamily.All
                        : parse.GetValue(families)!.Split(',').Select(Certify.Soundness.Hidden.HiddenFamily.Parse).ToList();
                    var r = parse.GetValue(radii)!.Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
                    if (r.Any(v => !(v > 0 && v < 0.25))) throw new ArgumentException($"--radii must be in (0, 0.25), got {parse.GetValue(radii)}");
                    bool stepsGiven = parse.GetResult(steps) is { Implicit: false };
                    o2 = new Certify.Soundness.Hidden.HiddenGeneratorOptions(fam, parse.GetValue(models), parse.GetValue(plantedCount), parse.GetValue(controls), r,
                        parse.GetValue(seed), parse.GetResult(timeout) is { Implicit: false } ? parse.GetValue(timeout) : 100,
                        Training: Train(parse.GetValue(exclusion), parse.GetValue(plantedWeight), stepsGiven ? parse.GetValue(steps) : null, parse.GetResult(lr) is { Implicit: false } ? parse.GetValue(lr) : null),
                        Hiding: new Certify.Soundness.Hidden.HidingBudget(PgdRestarts: parse.GetValue(restarts), PgdSteps: parse.GetResult(attackSteps) is { Implicit: false } ? parse.GetValue(attackSteps) : 50,
                            UniformSamples: parse.GetResult(samples) is { Implicit: false } ? parse.GetValue(samples) : 10000),
                        ProofDomains: parse.GetValue(proofDomains), InputScale: parse.GetValue(inputScale));
                }
                catch (Exception e) when (e is ArgumentException or FormatException) { throw new CliException(e.Message); }
                var outDir = parse.GetValue(output)!;
                OutputFiles.CheckFolder(outDir, "--out");
                Console.Error.WriteLine($"hiding checks per box: {o2.Hiding}");
                var watch = Stopwatch.StartNew();
                var gen = new Certify.Soundness.Hidden.HiddenGenerator(o2) { Log = parse.GetValue(verbose) ? Console.Error.WriteLine : null };
                var recs = gen.Generate(outDir, m => Console.Error.WriteLine(
                    $"{m.Name,-16} {m.Boxes.Count(b => b.Vnnlib.Length > 0 && b.Kind == BenchmarkManifest.Planted)} hidden / {m.Boxes.Count(b => b.Kind == BenchmarkManifest.Planted)} planted kept, " +
                    $"{m.Boxes.Count(b => b.Vnnlib.Length > 0 && b.Kind == BenchmarkManifest.Control)} controls ({m.Boxes.Count(b => b.Expected == "unsat")} certified unsat); " +
                    $"rejected: {string.Join(" ", m.Boxes.Where(b => b.Rejected.Length > 0).GroupBy(b => b.Rejected).Select(g => $"{g.Key} {g.Count()}"))}; {m.Seconds:F0} s"));
                var all = recs.SelectMany(m => m.Boxes).ToList();
                int hidden = all.Count(b => b.Vnnlib.Length > 0 && b.Kind == BenchmarkManifest.Planted);
                Console.WriteLine($"{all.Count(b => b.Vnnlib.Length > 0)} instances in {outDir}: {hidden} with a hidden counterexample, " +
                                  $"{all.Count(b => b.Vnnlib.Length > 0 && b.Kind == BenchmarkManifest.Control)} controls ({all.Count(b => b.Expected == "unsat")} certified unsat); " +
                                  $"{all.Count(b => b.Rejected.Length > 0)} box(es) rejected; {watch.Elapsed.TotalSeconds:F0} s");
                return hidden > 0 ? ExitCodes.Ok : ExitCodes.Failure;
            }
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

    /// <summary>Version 2's training settings: the defaults with what the command line gave.</summary>
    static Certify.Soundness.Hidden.HiddenTrainingOptions Train(double exclusion, double plantedWeight, int? steps, double? lr)
    {
        var t = new Certify.Soundness.Hidden.HiddenTrainingOptions(Exclusion: exclusion, PlantedWeight: plantedWeight);
        if (steps is { } s) t = t with { Steps = s };
        if (lr is { } r) t = t with { LearningRate = r };
        return t;
    }

    static Command RunCommand()
    {
        var dir = new Argument<string>("dir") { Description = "Benchmark folder (instances.csv, onnx/, vnnlib/, optional counterexamples/manifest.csv)." };
        var tool = new Option<string[]>("--tool")
        {
            Description = "Repeat for several tools (each gets a row of the per-tool table). Verifier command with {onnx} {vnnlib} {results} {timeout}; 'vnncomp:FOLDER' for a VNN-COMP tool folder (its prepare_instance.sh and run_instance.sh); 'certify' for Certify's verifier in-process, 'certify:drop-split-branch' " +
                          "for a deliberately unsound Certify; 'builtin' for the small input-split prover, " +
                          "'builtin:skip-intermediate-bounds' or 'builtin:drop-split-branch' for deliberately unsound variants. " +
                          "Default: $CERTIFY_SOUNDNESS_TOOL or Certify's own verify command.",
            DefaultValueFactory = _ => [Environment.GetEnvironmentVariable("CERTIFY_SOUNDNESS_TOOL") is { Length: > 0 } t ? t : CommandTool.CertifyTemplate],
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
            var specs = parse.GetValue(tool)!;
            var verifiers = new List<IVerifierTool>();
            foreach (var spec in specs)
            {
                try { verifiers.Add((IVerifierTool?)CertifyTool.TryParse(spec) ?? (IVerifierTool?)BuiltinProverTool.TryParse(spec)
                                   ?? (spec.StartsWith(SideBySide.VnncompPrefix, StringComparison.Ordinal)
                                       ? new VnncompTool(spec[SideBySide.VnncompPrefix.Length..], parse.GetValue(grace))
                                       : new CommandTool(spec, parse.GetValue(grace)))); }
                catch (ArgumentException e) { throw new CliException(e.Message); }
            }
            var resultsRoot = parse.GetValue(results) ?? Directory.CreateTempSubdirectory("certify-soundness-").FullName;
            OutputFiles.CheckFolder(resultsRoot, "--results-dir");
            int total;
            try { total = BenchmarkInstance.ReadAll(bench).Count; }
            catch (FormatException e) { throw new CliException(e.Message); }
            var runs = new List<(string Tool, HarnessSummary Summary)>();
            for (int t = 0; t < verifiers.Count; t++)
            {
                var verifier = verifiers[t];
                // One tool writes into the folder itself (as before); several get a numbered subfolder each.
                var resultsDir = verifiers.Count == 1 ? resultsRoot : Path.Combine(resultsRoot, $"tool{t + 1}");
                var harness = new SoundnessHarness(verifier) { TimeoutOverride = parse.GetValue(timeout) };
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
                if (summary.OnlyErrors)
                    Console.Error.WriteLine($"certify: {verifier.Name} failed on every instance (no or unreadable result files, or error answers): it was not tested at all; exit code {ExitCodes.Failure}");
                else if (summary.AnyError)
                    Console.Error.WriteLine($"certify: {verifier.Name} failed on {summary.Count(Classification.Error)} of {summary.Outcomes.Count} instance(s) (no or unreadable result file): those were not tested; exit code {ExitCodes.Failure}");
                if (summary.AnyWrong) Console.Error.WriteLine($"certify: {verifier.Name}: wrong answers (UNSOUND, invalid counterexamples or refuted labels); exit code {ExitCodes.Failure}");
                runs.Add((verifier.Name, summary));
            }
            var report = HarnessReport.Markdown(runs);
            File.WriteAllText(Path.Combine(resultsRoot, "soundness_report.md"), report);
            Console.WriteLine(report);
            return runs.Any(r => r.Summary.Failed) ? ExitCodes.Failure : ExitCodes.Ok;
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

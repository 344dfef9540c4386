using System.CommandLine;
using System.Diagnostics;
using Certify.Bounds;
using Certify.Cli.Configuration;
using Certify.Spec;
using Certify.Verification;
using Certify.Verification.Search;

namespace Certify.Cli.Commands;

/// <summary><c>certify verify MODEL PROP [--timeout S] [--results FILE]</c>: decide a VNNLIB property, VNN-COMP style.</summary>
public sealed class VerifyCommand : ICliCommand
{
    public Command Build()
    {
        var model = new Argument<string>("model") { Description = "Network file (.onnx or .nnet)." };
        var prop = new Argument<string>("property") { Description = "VNNLIB property file (plain or .gz). Strict comparisons (<, >) are read as <=, >= (the VNN-COMP convention): a point on the unsafe set's boundary counts as a counterexample, and an unsat proof covers the boundary too (specs/vnnlib.md)." };
        var timeout = new Option<double>("--timeout") { Description = "Time limit in seconds (loading included); overrides the config's verifier.timeout.", DefaultValueFactory = _ => 60 }.Seconds();
        var results = new Option<string?>("--results") { Description = "Write the VNN-COMP result file here." };
        var method = new Option<string>("--method") { Description = "Bounds inside branch and bound: auto (crown for input splitting, beta-crown for neuron splitting), crown, alpha-crown or beta-crown.", DefaultValueFactory = _ => "auto" }.OneOf("auto", "crown", "alpha-crown", "beta-crown");
        var strategy = new Option<string>("--split") { Description = "Branching: auto, input or neuron (relu is a synonym of neuron).", DefaultValueFactory = _ => "auto" }.OneOf("auto", "input", "neuron", "relu");
        var noAttack = new Option<bool>("--no-attack") { Description = "Skip the initial PGD attack." };
        var exact = new Option<string>("--exact") { Description = "Exact back-end for what branch and bound leaves open: milp (OR-Tools SCIP), smt (Z3, exact rationals; small networks) or none. Skipped at once for networks with an operator that is not piecewise linear.", DefaultValueFactory = _ => "milp" }.OneOf("milp", "smt", "none");
        var noMilp = new Option<bool>("--no-milp") { Description = "Same as --exact none." };
        var threads = new Option<int?>("--threads") { Description = "libtorch threads for the run; overrides the config's verifier.threads. Without it: CERTIFY_THREADS if set, else one thread for small networks or a loaded machine (1-minute load average at least the core count), else one per core." }.AtLeast(1);
        var quiet = new Option<bool>("--quiet") { Description = "Print only the verdict word." };
        var json = new Option<bool>("--json") { Description = "Print one JSON document instead of text (specs/result-json.md, schema specs/result.schema.json): verdict, reason, time, the counterexample when sat, the stages." };
        var certificate = new Option<string?>("--certificate") { Description = "For an unsat proven by branch and bound, write a certificate here (JSON; .gz compresses) that check-certificate checks without trusting Certify's bounds (specs/certificate.md); otherwise say why it is not checkable." };
        var config = ConfigOption.Create();
        var cmd = new Command("verify", "Decide a property: unsat (holds), sat (counterexample re-checked in ONNX Runtime), unknown or timeout. " +
                                        "Exit codes (specs/exit-codes.md): 0 a verdict was reached, whichever; 2 bad input (file, option, config); 3 internal error; 130 interrupted.")
            { model, prop, timeout, results, method, strategy, noAttack, exact, noMilp, threads, quiet, json, certificate, config };
        cmd.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            var startedAgo = Program.TakeStartUpTime();
            string modelPath = parse.GetValue(model)!, propPath = parse.GetValue(prop)!;
            bool q = parse.GetValue(quiet), j = parse.GetValue(json);
            if (q && j) throw new CliException("--quiet and --json: give one (--json prints the verdict as a field of its document)");
            var resultPath = parse.GetValue(results);
            OutputFiles.Check(resultPath, "--results");   // before the work: an unwritable path must not cost the verdict
            var certificatePath = parse.GetValue(certificate);
            OutputFiles.Check(certificatePath, "--certificate");
            var options = Options(parse, ConfigOption.Load(parse, config).Verifier, timeout, noAttack, exact, noMilp, method, strategy, threads) with
            {
                Log = q || j ? null : s => Console.Error.WriteLine("  " + s),
                Certificate = certificatePath is null ? null : new CertificateRequest(certificatePath, modelPath, propPath),
            };
            // The whole process counts, as in VNN-COMP: the deadline is made before loading the model, less the time the
            // runtime took to start and reach this point.
            var deadline = Deadline.After(options.Timeout - startedAgo);
            VerificationReport report;
            try { report = Verify(modelPath, propPath, options, deadline); }
            catch (ArgumentException e) { throw new CliException(e.Message); }
            if (resultPath is not null) OutputFiles.Write(resultPath, "--results", () => report.WriteResultFile(resultPath));
            var seconds = (clock.Elapsed + startedAgo).TotalSeconds;
            if (j) Console.Write(ResultJson.Text(ResultJson.Verify(modelPath, propPath, report, seconds)));
            else if (q) Console.WriteLine(report.Verdict.Word);
            else
            {
                Console.WriteLine($"{report.Verdict.Word}  ({seconds:F2} s)");
                Console.WriteLine(report.Verdict.Kind switch
                {
                    VerdictKind.Unsat => $"  proved by: {report.Verdict.ProvedBy}" + (report.Certificate is { } cn ? $"\n  certificate {cn}" : ""),
                    VerdictKind.Sat => $"  counterexample: {report.Verdict.Counterexample}",
                    _ => $"  reason: {report.Verdict.Reason}",
                });
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>
    /// The verification settings: <paramref name="fromConfig"/> (the file's, or the defaults), with every flag that was
    /// typed applied on top (a flag's default does not override the file).
    /// </summary>
    static VerifierOptions Options(ParseResult parse, VerifierOptions fromConfig, Option<double> timeout, Option<bool> noAttack,
                                   Option<string> exact, Option<bool> noMilp, Option<string> method, Option<string> strategy, Option<int?> threads)
    {
        var o = fromConfig;
        if (ConfigOption.Given(parse, timeout)) o = o with { Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)) };
        if (parse.GetValue(noAttack)) o = o with { Attack = false };
        if (ConfigOption.Given(parse, exact)) o = o with { Exact = ParseExact(parse.GetValue(exact)!) };
        if (parse.GetValue(noMilp)) o = o with { Exact = ExactStage.None };
        if (ConfigOption.Given(parse, method)) o = o with { Bab = o.Bab with { Method = ParseMethod(parse.GetValue(method)!) } };
        if (ConfigOption.Given(parse, strategy)) o = o with { Bab = o.Bab with { Strategy = ParseStrategy(parse.GetValue(strategy)!) } };
        if (parse.GetValue(threads) is { } n) o = o with { Threads = n };
        return o;
    }

    static VerificationReport Verify(string modelPath, string propPath, VerifierOptions options, Deadline deadline)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();   // tensors freed on this thread, not by the finalizer (see Verifier.Run)
        var graph = ModelLoading.Load(modelPath);
        var spec = VnnLibParser.Parse(propPath);
        using var reference = Verifier.ReferenceFor(modelPath, graph);
        return new Verifier(graph, spec, (IReferenceModel)reference, options).Run(deadline);
    }

    /// <summary>A bound method name, or null for "auto" (branch and bound picks by split strategy).</summary>
    internal static BoundMethod? ParseMethod(string text)
    {
        if (text.Equals("auto", StringComparison.OrdinalIgnoreCase)) return null;
        try { return BoundOptions.ParseMethod(text); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
    }

    internal static ExactStage ParseExact(string text) => text.ToLowerInvariant() switch
    {
        "milp" => ExactStage.Milp,
        "smt" => ExactStage.Smt,
        "none" => ExactStage.None,
        _ => throw new CliException($"--exact {text}: supported are milp, smt, none"),
    };

    internal static SplitStrategy ParseStrategy(string text) => text.ToLowerInvariant() switch
    {
        "auto" => SplitStrategy.Auto,
        "input" => SplitStrategy.InputSplit,
        "neuron" or "relu" => SplitStrategy.NeuronSplit,
        _ => throw new CliException($"--split {text}: supported are auto, input, neuron (or relu)"),
    };
}

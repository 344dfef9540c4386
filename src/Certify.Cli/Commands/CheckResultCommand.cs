using System.CommandLine;
using Certify.Verification.Benchmarks;

namespace Certify.Cli.Commands;

/// <summary>
/// <c>certify check-result MODEL PROP RESULT</c>: checks any tool's VNN-COMP result file (<c>specs/result-file.md</c>)
/// against the network and property it answers: the file must be well formed, and a sat answer's counterexample must lie
/// in the input box, violate the property at ONNX Runtime's outputs and, where the file gives outputs, match them
/// (<see cref="ResultCheck"/>). Prints one line: <c>accepted: ...</c> or <c>rejected: FILE:LINE: ...</c>.
/// <para>Exit codes (<see cref="ExitCodes"/>): 0 accepted; 1 rejected (the counterexample is not one); 2 bad input (a
/// missing or malformed file, a network ONNX Runtime cannot load, a bad option); 3 internal error.</para>
/// </summary>
public sealed class CheckResultCommand : ICliCommand
{
    public Command Build()
    {
        var model = new Argument<string>("model") { Description = "The network (.onnx) the result is for; counterexamples are re-run in ONNX Runtime." };
        var prop = new Argument<string>("property") { Description = "The VNNLIB property the result is for." };
        var result = new Argument<string>("result") { Description = "The result file (VNN-COMP format: sat/unsat/unknown/timeout/error, or holds/violated; a sat followed by ((X_0 v) ... (Y_0 v)))." };
        var defaults = new ResultCheckOptions();
        var box = new Option<double>("--box-tolerance") { Description = $"How far (absolute, per input) a counterexample may lie outside the input box (default {defaults.BoxTolerance:G}).", DefaultValueFactory = _ => defaults.BoxTolerance }.NonNegative();
        var output = new Option<double>("--output-tolerance") { Description = $"Largest |Y_i - y| / (1 + |y|) between a written output and ONNX Runtime's y (default {defaults.OutputTolerance:G}).", DefaultValueFactory = _ => defaults.OutputTolerance }.NonNegative();
        var cmd = new Command("check-result", "Check any tool's VNN-COMP result file against its network and property: a sat counterexample must lie in the input box, violate the property in ONNX Runtime and match its outputs. " +
                                              "Exit codes (specs/exit-codes.md): 0 accepted; 1 rejected; 2 bad input; 3 internal error.")
            { model, prop, result, box, output };
        cmd.SetAction(parse =>
        {
            string m = parse.GetValue(model)!, p = parse.GetValue(prop)!, r = parse.GetValue(result)!;
            foreach (var f in new[] { m, p, r })
            {
                if (Directory.Exists(f)) throw new CliException($"{f}: is a folder; give a file");
                if (!File.Exists(f)) throw new CliException($"{f}: no such file");
            }
            ResultCheckReport report;
            try { report = ResultCheck.Check(m, p, r, new ResultCheckOptions(parse.GetValue(box), parse.GetValue(output))); }
            catch (FormatException e) { throw new CliException(e.Message.Split('\n')[0]); }
            Console.WriteLine((report.Accepted ? "accepted: " : "rejected: ") + report.Message);
            return report.Accepted ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return cmd;
    }
}

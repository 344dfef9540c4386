using System.CommandLine;
using System.Diagnostics;
using Certify.Import;
using Certify.Runtime;
using Certify.Spec;
using Certify.Verification.Search;

namespace Certify.Cli.Commands;

/// <summary>
/// <c>certify bench-bab</c>: runs random sampling then branch and bound on the instances of a VNN-COMP family folder with a
/// per-instance time limit, re-checks candidates in ONNX Runtime and compares answers with the published labels.
/// A measurement tool for developers, not the verifier (no MILP, no attack).
/// </summary>
public sealed class BenchBabCommand : ICliCommand
{
    public Command Build()
    {
        var family = new Option<string>("--family") { Description = "Family folder with instances.csv (default ../shared/bench/acasxu).", DefaultValueFactory = _ => "../shared/bench/acasxu" };
        var timeout = new Option<double>("--timeout") { Description = "Seconds per instance (default 10).", DefaultValueFactory = _ => 10 }.Seconds();
        var filter = new Option<string?>("--filter") { Description = "Only instances whose onnx,vnnlib entry contains this text." };
        var batch = new Option<int>("--batch") { Description = "Domains per engine call (default 1024).", DefaultValueFactory = _ => 1024 }.AtLeast(1);
        var method = new Option<string>("--method") { Description = "crown or alpha-crown (default crown).", DefaultValueFactory = _ => "crown" }.OneOf("crown", "alpha-crown");
        var cmd = new Command("bench-bab", "Measure branch and bound (plus random sampling) on a benchmark family against its published labels. Exit codes (specs/exit-codes.md): 0 no wrong answer; 1 an answer contradicts its label; 2 bad input; 3 internal error.")
        {
            family, timeout, filter, batch, method
        };
        cmd.SetAction(parse =>
        {
            var dir = parse.GetValue(family)!;
            var csv = Path.Combine(dir, "instances.csv");
            if (!File.Exists(csv)) throw new CliException($"{csv}: no such file");
            var text = parse.GetValue(filter);
            var options = new BabOptions
            {
                TimeLimit = TimeSpan.FromSeconds(parse.GetValue(timeout)), BatchSize = parse.GetValue(batch),
                Method = Certify.Bounds.BoundOptions.ParseMethod(parse.GetValue(method)!),
            };
            int solved = 0, wrong = 0, total = 0;
            double seconds = 0;
            // The one list reader: instances.csv with the labels of published_results.csv beside it, rows named by file:line.
            IReadOnlyList<Certify.Verification.Benchmarks.Instance> instances;
            try { instances = Certify.Verification.Benchmarks.InstanceList.Load(csv, dir); }
            catch (FormatException e) { throw new CliException(e.Message); }
            foreach (var inst in instances)
            {
                var key = inst.OnnxEntry + "," + inst.VnnlibEntry;
                if (text is not null && !key.Contains(text)) continue;
                var label = inst.Label ?? "?";
                var clock = Stopwatch.StartNew();
                var graph = OnnxImporter.Import(inst.Onnx);
                var spec = VnnLibParser.Parse(inst.Vnnlib);
                var bab = new BranchAndBound(graph, options);
                string answer; string detail;
                var sampled = bab.Sample(spec, 2000);
                BabResult? result = null;
                var candidate = sampled ?? (result = bab.Run(spec)).Candidate;
                if (candidate is not null)
                {
                    using var ort = new OnnxRuntimeModel(inst.Onnx);
                    var y = ort.Run(candidate.Input);
                    answer = spec.IsCounterexample(candidate.Input, y) ? "sat" : "unknown";
                    detail = sampled is not null ? "sampling" : result!.Statistics.ToString();
                    if (answer != "sat") detail = "candidate did not reproduce in ONNX Runtime; " + detail;
                }
                else
                {
                    answer = result!.Verified ? "unsat" : "unknown";
                    detail = result.Status + " " + result.Statistics;
                }
                double t = clock.Elapsed.TotalSeconds;
                total++;
                bool ok = answer != "unknown" && answer == label;
                bool bad = answer != "unknown" && label is "sat" or "unsat" && answer != label;
                if (ok) { solved++; seconds += t; }
                if (bad) wrong++;
                Console.WriteLine($"{key,-60} {label,-7} {answer,-7} {t,7:0.00}s {(bad ? "WRONG " : "")}{detail}");
            }
            Console.WriteLine($"solved {solved}/{total} (time of solved {seconds:0.0} s), wrong {wrong}");
            return wrong == 0 ? 0 : 1;
        });
        return cmd;
    }
}

using System.CommandLine;
using Certify.Checker;
using Certify.Verification.Proofs;

namespace Certify.Cli.Commands;

/// <summary>
/// <c>certify check-certificate MODEL PROP CERT</c>: checks a certificate of unsat with the independent checker
/// (<c>src/Certify.Checker</c>, <c>specs/certificate.md</c>). Prints "accepted" or "rejected: why", naming the region,
/// tree node and leaf path, and the nonlinear node and neuron or the disjunct that failed.
/// </summary>
public sealed class CheckCertificateCommand : ICliCommand
{
    public Command Build()
    {
        var model = new Argument<string>("model") { Description = "The network file the certificate is for (.onnx; .nnet is compared with Certify's own graph only)." };
        var prop = new Argument<string>("property") { Description = "The VNNLIB property file the certificate is for." };
        var cert = new Argument<string>("certificate") { Description = "The certificate (JSON, or .gz), written by verify --certificate." };
        var threads = new Option<int>("--threads") { Description = "Leaves checked in parallel (0: one per core).", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var cmd = new Command("check-certificate", "Check a certificate of unsat without trusting Certify's bound engine: re-derives every bound in outward-rounded arithmetic, checks that the leaves cover every region. " +
                                                   "Exit codes (specs/exit-codes.md): 0 accepted; 1 rejected; 2 bad input (file, option, a file that is not a certificate); 3 internal error; 130 interrupted.")
            { model, prop, cert, threads };
        cmd.SetAction(parse =>
        {
            string m = parse.GetValue(model)!, p = parse.GetValue(prop)!, c = parse.GetValue(cert)!;
            foreach (var f in new[] { m, p, c })
                if (!File.Exists(f)) throw new CliException($"{f}: no such file");
            CheckReport report;
            try { report = CertificateFiles.Check(m, p, c, parallelism: parse.GetValue(threads)); }
            catch (CertificateException e) { throw new CliException(e.Message); }
            Console.WriteLine(report.ToString());
            if (report.Accepted) Console.WriteLine($"  checked in {report.Elapsed.TotalSeconds:F2} s");
            return report.Accepted ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return cmd;
    }
}

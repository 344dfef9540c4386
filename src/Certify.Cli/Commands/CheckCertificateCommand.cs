using System.CommandLine;
using System.Globalization;
using Certify.Checker;
using Certify.Verification.Benchmarks;
using Certify.Verification.Proofs;
using Spectre.Console;

namespace Certify.Cli.Commands;

/// <summary>
/// <c>certify check-certificate MODEL PROP CERT</c>: checks a certificate of unsat with the independent checker
/// (<c>src/Certify.Checker</c>, <c>specs/certificate.md</c>). Prints "accepted" or "rejected: why", naming the region,
/// tree node and leaf path, and the nonlinear node and neuron or the disjunct that failed.
/// <para><c>certify check-certificate --certificate-dir DIR [--results RESULTS.csv] [--out CHECKS.csv]</c>: checks every
/// certificate that <c>run --certificate-dir DIR</c> wrote, in one process (<see cref="CertificateBatch"/>), and writes
/// per unsat instance accepted / rejected / not checkable with the reason, certificate bytes, leaves, checking seconds,
/// verification seconds and their ratio; then prints a table per family. With <c>--results</c> (the run's <c>--out</c>
/// file) the verification seconds come from it, and an unsat row of it that the index lacks is "not checkable".</para>
/// </summary>
public sealed class CheckCertificateCommand : ICliCommand
{
    public Command Build()
    {
        var model = new Argument<string?>("model") { Description = "The network file the certificate is for (.onnx; .nnet is compared with Certify's own graph only).", Arity = ArgumentArity.ZeroOrOne };
        var prop = new Argument<string?>("property") { Description = "The VNNLIB property file the certificate is for.", Arity = ArgumentArity.ZeroOrOne };
        var cert = new Argument<string?>("certificate") { Description = "The certificate (JSON, or .gz), written by verify --certificate.", Arity = ArgumentArity.ZeroOrOne };
        var threads = new Option<int>("--threads") { Description = "Leaves checked in parallel (0: one per core).", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var dir = new Option<string?>("--certificate-dir") { Description = "Check every certificate of this folder (written by `run --certificate-dir`; its index certificates.csv lists them) instead of one." };
        var results = new Option<string?>("--results") { Description = "With --certificate-dir: the run's results file (--out); verification times come from it, and an unsat row missing from the index is reported not checkable." };
        var output = new Option<string?>("--out") { Description = "With --certificate-dir: write one row per unsat instance to this CSV (family,network,property,check,reason,bytes,leaves,check_seconds,verify_seconds,ratio)." };
        var cmd = new Command("check-certificate", "Check a certificate of unsat without trusting Certify's bound engine: re-derives every bound in outward-rounded arithmetic, checks that the leaves cover every region. " +
                                                   "With --certificate-dir DIR: every certificate of a `run --certificate-dir` folder, one row each. " +
                                                   "Exit codes (specs/exit-codes.md): 0 accepted (every one); 1 rejected (any); 2 bad input (file, option, a file that is not a certificate); 3 internal error; 130 interrupted.")
            { model, prop, cert, threads, dir, results, output };
        cmd.SetAction(parse =>
        {
            string? m = parse.GetValue(model), p = parse.GetValue(prop), c = parse.GetValue(cert);
            if (parse.GetValue(dir) is { } folder)
            {
                if (m is not null) throw new CliException("--certificate-dir: give either MODEL PROPERTY CERTIFICATE or --certificate-dir, not both");
                return Batch(folder, parse.GetValue(results), parse.GetValue(output), parse.GetValue(threads));
            }
            if (parse.GetValue(results) is not null) throw new CliException("--results: only with --certificate-dir");
            if (parse.GetValue(output) is not null) throw new CliException("--out: only with --certificate-dir");
            if (m is null || p is null || c is null) throw new CliException("check-certificate: give MODEL PROPERTY CERTIFICATE, or --certificate-dir DIR");
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

    static int Batch(string folder, string? resultsPath, string? outPath, int threads)
    {
        if (!Directory.Exists(folder)) throw new CliException($"--certificate-dir {folder}: no such folder");
        IReadOnlyList<CertificateEntry> entries;
        try { entries = CertificateIndex.Read(folder); }
        catch (CsvFormatException e) { throw new CliException(e.Message); }
        Dictionary<(string, string, string), ResultRow>? run = null;
        if (resultsPath is not null)
        {
            var read = ResultsFiles.Read(new[] { resultsPath })[0];
            run = new();
            // A results file names instances by family, network and property only; a name that two instances share
            // gives no verification time (the index's own time is used), rather than the other instance's.
            foreach (var g in read.Rows.GroupBy(r => r.Key))
                if (g.Count() == 1) run[g.Key] = g.First();
        }
        OutputFiles.Check(outPath, "--out");   // before the long work
        var checks = CertificateBatch.Check(folder, entries, e => run is not null && run.TryGetValue(e.Key, out var r) ? r.Seconds : null, threads,
            x => Console.Error.WriteLine($"{x.Entry.Family}/{x.Entry.Network} {x.Entry.Property}: {x.Check}" +
                                         (x.Check == CertificateCheck.Accepted ? $" ({x.CheckSeconds:F1} s)" : $": {x.Reason}")));
        if (run is not null)
        {
            // Unsat answers of the run that the index does not know (a run without --certificate-dir, or another list).
            var known = entries.Select(e => e.Key).ToHashSet();
            foreach (var r in run.Values.Where(r => r.Result == "unsat" && !known.Contains(r.Key)).OrderBy(r => r.Line))
                checks.Add(new CertificateCheck(new CertificateEntry(r.Family, r.Network, r.Property, "", "", r.Result, r.Seconds, "", 0, ""),
                    CertificateCheck.NotCheckable, $"no row in {Path.Combine(folder, CertificateIndex.FileName)}", 0, 0, r.Seconds));
        }
        if (outPath is not null)
            OutputFiles.Write(outPath, "--out", () => CsvLines.WriteAll(outPath, CertificateCheck.Header, checks.Select(x => x.Fields())));
        Summarise(checks);
        return checks.Any(x => x.Check == CertificateCheck.Rejected) ? ExitCodes.Failure : ExitCodes.Ok;
    }

    /// <summary>Per family: unsat instances, accepted, rejected, not checkable, leaves (max), bytes (median) and check / verify (median, max).</summary>
    static void Summarise(List<CertificateCheck> checks)
    {
        var c = CultureInfo.InvariantCulture;
        var table = new Table().AddColumns("family", "unsat", "accepted", "rejected", "not checkable", "leaves (max)", "bytes (median)", "check/verify (median, max)");
        foreach (var g in checks.GroupBy(x => x.Entry.Family).OrderBy(g => g.Key, StringComparer.Ordinal).Append(checks.GroupBy(_ => "all").FirstOrDefault()).OfType<IGrouping<string, CertificateCheck>>())
        {
            var ratios = g.Select(x => x.Ratio).OfType<double>().Order().ToList();
            var bytes = g.Where(x => x.Bytes > 0).Select(x => x.Bytes).Order().ToList();
            int rejected = g.Count(x => x.Check == CertificateCheck.Rejected);
            table.AddRow(Markup.Escape(g.Key), g.Count().ToString(c), g.Count(x => x.Check == CertificateCheck.Accepted).ToString(c),
                rejected == 0 ? "0" : $"[red bold]{rejected}[/]", g.Count(x => x.Check == CertificateCheck.NotCheckable).ToString(c),
                g.Select(x => x.Entry.Leaves).DefaultIfEmpty(0).Max().ToString(c), bytes.Count == 0 ? "-" : bytes[bytes.Count / 2].ToString(c),
                ratios.Count == 0 ? "-" : $"{ratios[ratios.Count / 2].ToString("F2", c)}, {ratios[^1].ToString("F2", c)}");
        }
        AnsiConsole.Write(table);
    }
}

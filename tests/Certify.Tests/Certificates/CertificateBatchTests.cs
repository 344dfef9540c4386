using Certify.Checker;
using Certify.Spec;
using Certify.Tests.Cli;
using Certify.Verification.Benchmarks;
using Certify.Verification.Proofs;

namespace Certify.Tests.Certificates;

/// <summary>
/// <c>certify run LIST --certificate-dir DIR</c> then <c>certify check-certificate --certificate-dir DIR</c>, through the
/// CLI on tiny instances: the fixture's network with its hard property (branch and bound, several leaves) and with a
/// property its root bound proves, and a sat instance (no certificate, not checked). Every certificate written must be
/// reported accepted, with its leaves and bytes; one tampered afterwards (bound to another network) must be reported
/// rejected, naming why, with exit code 1. Work budgets only.
/// </summary>
public sealed class CertificateBatchTests(CertificateFixture f) : IClassFixture<CertificateFixture>
{
    /// <summary>The fixture's box with a threshold 1000 below its own: an unsat property one root bound proves.</summary>
    void WriteEasy(string path)
    {
        var hard = VnnLibParser.Parse(f.Property).Regions[0];
        VnnLibWriter.Write(new Specification(new[] { new InputRegion(hard.Lower.ToArray(), hard.Upper.ToArray(),
            new OutputCondition(new[] { new Conjunction(new[] { new HalfSpace(f.C, f.D - 1000) }) })) }, 2, 3), path);
    }

    [Fact]
    public void Run_writes_a_certificate_per_unsat_and_the_batch_check_accepts_them_and_rejects_a_tampered_one()
    {
        var dir = CliFiles.TempDir();
        try
        {
            var easy = Path.Combine(dir, "easy.vnnlib");
            WriteEasy(easy);
            var (tiny, sat, _) = CliFiles.Tiny(dir);
            var config = CliFiles.Write(dir, "budget.yaml", CliFiles.WorkBudgetYaml);
            var list = CliFiles.Write(dir, "list.csv", "onnx,vnnlib,timeout,label,family\n" +
                $"{f.Model},{f.Property},600,unsat,fixture\n{f.Model},{easy},600,unsat,fixture\n{tiny},{sat},600,sat,tiny\n");
            var certs = Path.Combine(dir, "certs");
            var results = Path.Combine(dir, "results.csv");
            var run = CommandHarness.Certify(new[] { "run", list, "--config", config, "--out", results, "--certificate-dir", certs });
            Assert.True(run.Code == 0, $"run exit {run.Code}: {run.Stderr}");

            var index = CertificateIndex.Read(certs);
            Assert.Equal(3, index.Count);
            var unsat = index.Where(e => e.Family == "fixture").ToList();
            Assert.All(unsat, e => Assert.Equal("unsat", e.Result));
            Assert.All(unsat, e => Assert.True(e.Certificate.EndsWith(".cert.json.gz") && File.Exists(Path.Combine(certs, e.Certificate)), $"{e.Property}: {e.Note}"));
            Assert.Contains(unsat, e => e.Leaves > 1);                            // the hard property needed branch and bound
            Assert.All(unsat, e => Assert.Equal(Certificate.Load(Path.Combine(certs, e.Certificate)).Regions[0].Nodes.Count(n => n.Leaf is not null), e.Leaves));
            var satRow = index.Single(e => e.Family == "tiny");
            Assert.Equal(("sat", "", "not unsat"), (satRow.Result, satRow.Certificate, satRow.Note));

            var checks = Path.Combine(dir, "checks.csv");
            var ok = CommandHarness.Certify(new[] { "check-certificate", "--certificate-dir", certs, "--results", results, "--out", checks });
            Assert.True(ok.Code == 0, $"check exit {ok.Code}: {ok.Stdout} {ok.Stderr}");
            var rows = Rows(checks);
            Assert.Equal(2, rows.Count);                                           // the unsat rows only
            Assert.All(rows, r => Assert.True(r["check"] == "accepted", r["reason"]));
            Assert.All(rows, r => Assert.True(long.Parse(r["bytes"]) > 0 && long.Parse(r["leaves"]) >= 1 && double.Parse(r["check_seconds"]) > 0 && r["ratio"].Length > 0));

            // Tamper: bind the hard proof to another network. The batch must reject it, say why, and exit 1.
            var target = unsat.Single(e => e.Leaves > 1);
            var path = Path.Combine(certs, target.Certificate);
            var c = Certificate.Load(path);
            (c with { Network = c.Network with { Sha256 = new string('0', 64) } }).Save(path);
            var bad = CommandHarness.Certify(new[] { "check-certificate", "--certificate-dir", certs, "--out", checks });
            Assert.True(bad.Code == 1, $"check exit {bad.Code} after tampering: {bad.Stdout} {bad.Stderr}");
            var after = Rows(checks);
            var tampered = after.Single(r => r["property"] == target.Property);
            Assert.Equal("rejected", tampered["check"]);
            Assert.Contains("another network", tampered["reason"]);
            Assert.Equal("accepted", after.Single(r => r["property"] != target.Property)["check"]);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>
    /// Two instances with the same family, network and property names from different folders (as safenlp's medical/ and
    /// ruarobot/): each gets its own certificate, the index keeps both rows and the batch checks both.
    /// </summary>
    [Fact]
    public void Instances_that_share_their_names_are_each_certified_and_checked()
    {
        var dir = CliFiles.TempDir();
        try
        {
            var lines = new List<string> { "onnx,vnnlib,timeout,label,family" };
            foreach (var sub in new[] { "a", "b" })
            {
                Directory.CreateDirectory(Path.Combine(dir, sub));
                var model = Path.Combine(dir, sub, "net.onnx");
                File.Copy(f.Model, model);
                var prop = Path.Combine(dir, sub, "prop.vnnlib");
                WriteEasy(prop);
                lines.Add($"{model},{prop},600,unsat,fixture");
            }
            var list = CliFiles.Write(dir, "list.csv", string.Join("\n", lines) + "\n");
            var certs = Path.Combine(dir, "certs");
            var results = Path.Combine(dir, "results.csv");
            var run = CommandHarness.Certify(new[] { "run", list, "--config", CliFiles.Write(dir, "budget.yaml", CliFiles.WorkBudgetYaml),
                                                     "--out", results, "--certificate-dir", certs });
            Assert.True(run.Code == 0, $"run exit {run.Code}: {run.Stderr}");
            var index = CertificateIndex.Read(certs);
            Assert.Equal(2, index.Count);
            Assert.Equal(2, index.Select(e => e.Certificate).Distinct().Count());
            var checks = Path.Combine(dir, "checks.csv");
            var ok = CommandHarness.Certify(new[] { "check-certificate", "--certificate-dir", certs, "--results", results, "--out", checks });
            Assert.True(ok.Code == 0, $"check exit {ok.Code}: {ok.Stdout} {ok.Stderr}");
            var rows = Rows(checks);
            Assert.Equal(2, rows.Count);
            Assert.All(rows, r => Assert.True(r["check"] == "accepted", r["reason"]));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Batch_options_are_checked_before_any_work()
    {
        var dir = CliFiles.TempDir();
        try
        {
            Assert.Equal(2, CommandHarness.Certify(new[] { "check-certificate", "--certificate-dir", Path.Combine(dir, "none") }).Code);
            Assert.Equal(2, CommandHarness.Certify(new[] { "check-certificate", "--certificate-dir", dir }).Code);   // no index
            Assert.Equal(2, CommandHarness.Certify(new[] { "check-certificate", f.Model, f.Property, f.CertificatePath, "--out", Path.Combine(dir, "x.csv") }).Code);
            var list = CliFiles.Write(dir, "list.csv", $"onnx,vnnlib,timeout,label,family\n{f.Model},{f.Property},600,unsat,fixture\n");
            var r = CommandHarness.Certify(new[] { "run", list, "--isolate", "--certificate-dir", Path.Combine(dir, "c") });
            Assert.Equal(2, r.Code);
            Assert.Contains("--isolate", r.Stderr);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    static List<Dictionary<string, string>> Rows(string path)
    {
        var t = CsvTable.Read(path, _ => true);
        return t.Rows.Select(r => t.Header!.Select((h, i) => (h, v: r[i])).ToDictionary(x => x.h, x => x.v)).ToList();
    }
}

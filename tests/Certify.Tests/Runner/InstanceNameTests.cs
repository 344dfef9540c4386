using System.Globalization;
using Certify.Tests.Cli;
using Certify.Tests.Hostile;
using Certify.Verification.Benchmarks;

namespace Certify.Tests.Runner;

/// <summary>
/// An instance's names (<see cref="Instance.Network"/>, <see cref="Instance.Property"/>): the paths below the family's
/// <c>onnx/</c> and <c>vnnlib/</c> folders, so that two instances in subfolders with the same file names (safenlp's
/// <c>medical/</c> and <c>ruarobot/</c>) stay two in every results file, resume, shard merge and output folder. With
/// names that were the file names alone, <c>run --resume</c> took the second of such a pair for done (with the first's
/// answer), <c>merge --instances</c> refused the list as naming an instance twice, and <c>--jobs</c> could not match the
/// workers' rows.
/// </summary>
public sealed class InstanceNameTests : IDisposable
{
    readonly string _dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"certify-names-{Guid.NewGuid():N}")).FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// A safenlp-like family <c>fam</c>: <c>onnx/a/net.nnet</c> (y0 = relu(x0 + x1) on [0, 1]², at most 2) with
    /// <c>vnnlib/a/prop.vnnlib</c> (Y_0 ≥ 1.5: sat) and <c>onnx/b/net.nnet</c> (scale 2, at most 4) with
    /// <c>vnnlib/b/prop.vnnlib</c> (Y_0 ≥ 4.5: unsat): the same file names, different answers, known by hand. Returns
    /// the VNN-COMP <c>fam/instances.csv</c> and a labelled <c>sets/list.csv</c> naming the same instances from the root.
    /// </summary>
    (string Instances, string Set) Family()
    {
        var fam = Path.Combine(_dir, "fam");
        foreach (var (sub, scale, threshold) in new[] { ("a", 1.0, 1.5), ("b", 2.0, 4.5) })
        {
            Directory.CreateDirectory(Path.Combine(fam, "onnx", sub));
            Directory.CreateDirectory(Path.Combine(fam, "vnnlib", sub));
            File.WriteAllText(Path.Combine(fam, "onnx", sub, "net.nnet"), GroundTruthModels.NNet(scale));
            File.WriteAllText(Path.Combine(fam, "vnnlib", sub, "prop.vnnlib"), GroundTruthModels.Property($"(>= Y_0 {F(threshold)})"));
        }
        var instances = CliFiles.Write(fam, "instances.csv", "onnx/a/net.nnet,vnnlib/a/prop.vnnlib,60\nonnx/b/net.nnet,vnnlib/b/prop.vnnlib,60\n");
        Directory.CreateDirectory(Path.Combine(_dir, "sets"));
        var set = CliFiles.Write(Path.Combine(_dir, "sets"), "list.csv",
            "family,onnx,vnnlib,timeout,label\nfam,fam/onnx/a/net.nnet,fam/vnnlib/a/prop.vnnlib,60,sat\nfam,fam/onnx/b/net.nnet,fam/vnnlib/b/prop.vnnlib,60,unsat\n");
        return (instances, set);
    }

    /// <summary>The rows of a results file as family,network,property,result,label (no time).</summary>
    static List<string> Rows(string results) =>
        RunResultsList.Read(results).Rows.Select(r => $"{r.Family},{r.Network},{r.Property},{r.Result},{r.Label}").ToList();

    static readonly List<string> Expected = ["fam,a/net,a/prop,sat,sat", "fam,b/net,b/prop,unsat,unsat"];

    [Fact]
    public void Names_are_the_paths_below_the_familys_folders_in_both_list_forms()
    {
        var (instances, set) = Family();
        foreach (var list in new[] { instances, set })
        {
            var read = InstanceList.Load(list);
            Assert.Equal([("fam", "a/net", "a/prop"), ("fam", "b/net", "b/prop")], read.Select(i => (i.Family, i.Network, i.Property)));
        }
        // Outside a family's layout (an absolute path, a file beside the list): the file name, as before.
        Assert.Equal("net", Instance.NameOf("/x/onnx2/net.onnx", "onnx", "/x/onnx2/net.onnx"));
        Assert.Equal("net", Instance.NameOf("net.onnx", "onnx", "/x/net.onnx"));
        Assert.Equal("net", Instance.NameOf("onnx/../net.onnx", "onnx", "/x/net.onnx"));
        Assert.Equal("prop_0_eps_0.008", Instance.NameOf("./vnnlib/prop_0_eps_0.008.vnnlib", "vnnlib", "/x/vnnlib/prop_0_eps_0.008.vnnlib"));
        // Names given by the list (the workers' list of run --jobs) win over the paths.
        var named = CliFiles.Write(_dir, "named.csv", $"family,onnx,vnnlib,timeout,network,property\nfam,{Path.Combine(_dir, "fam", "onnx", "a", "net.nnet")},{Path.Combine(_dir, "fam", "vnnlib", "a", "prop.vnnlib")},60,a/net,a/prop\n");
        Assert.Equal(("a/net", "a/prop"), InstanceList.Load(named).Select(i => (i.Network, i.Property)).Single());
    }

    /// <summary>
    /// On the real benchmark lists: every instance of sets/all.csv has its own (family, network, property), every family
    /// whose files lie directly in its folders keeps the file names (so its results files read as before), and a family's
    /// instances.csv gives the same names as the set's rows of it.
    /// </summary>
    [SkippableFact]
    public void Every_benchmark_instance_has_its_own_names_and_flat_families_keep_the_file_names()
    {
        var bench = TestPaths.RequireBench();
        var all = InstanceList.Load(Path.Combine(bench, "sets", "all.csv"));
        var twice = all.GroupBy(i => (i.Family, i.Network, i.Property)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(twice.Count == 0, $"{twice.Count} names shared by two instances, e.g. {twice.FirstOrDefault()}");
        foreach (var i in all.Where(i => i.OnnxEntry.Count(c => c == '/') == 2))
            Assert.Equal(Path.GetFileNameWithoutExtension(i.Onnx), i.Network);
        foreach (var i in all.Where(i => i.VnnlibEntry.Count(c => c == '/') == 2))
            Assert.Equal(Path.GetFileNameWithoutExtension(i.Vnnlib), i.Property);
        var safenlp = Path.Combine(bench, "safenlp", "instances.csv");
        Skip.IfNot(File.Exists(safenlp), "no safenlp/instances.csv");
        var own = InstanceList.Load(safenlp).Select(i => (i.Network, i.Property)).ToHashSet();
        var fromSet = all.Where(i => i.Family == "safenlp").Select(i => (i.Network, i.Property)).ToList();
        Assert.NotEmpty(fromSet);
        Assert.All(fromSet, k => Assert.Contains(k, own));
        Assert.Contains(fromSet, k => k.Network.StartsWith("medical/", StringComparison.Ordinal));
    }

    /// <summary>
    /// <c>run --out --out-dir</c> writes a row and a result file per instance; <c>--resume</c> from a file holding the
    /// first row runs the second (it once took it for done, with the first's sat against its unsat label).
    /// </summary>
    [Fact]
    public void Run_out_dir_and_resume_keep_both_instances()
    {
        var (instances, set) = Family();
        var results = Path.Combine(_dir, "r.csv");
        var outDir = Path.Combine(_dir, "out");
        var run = CommandHarness.Certify(["run", set, "--out", results, "--out-dir", outDir]);
        Assert.True(run.Code == 0, run.Stderr);
        Assert.Equal(Expected, Rows(results));
        var files = Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["fam__a+net__a+prop.txt", "fam__b+net__b+prop.txt"], files);
        Assert.Equal("sat", File.ReadLines(Path.Combine(outDir, files[0]!)).First());
        Assert.Equal("unsat", File.ReadLines(Path.Combine(outDir, files[1]!)).First());

        File.WriteAllLines(results, File.ReadAllLines(results).Take(2));   // header and the first row: an interrupted run
        run = CommandHarness.Certify(["run", set, "--out", results, "--resume"]);
        Assert.True(run.Code == 0, run.Stderr);
        Assert.Equal(Expected, Rows(results));

        // The VNN-COMP list (no labels there) names them the same way.
        var plain = Path.Combine(_dir, "plain.csv");
        run = CommandHarness.Certify(["run", instances, "--out", plain]);
        Assert.True(run.Code == 0, run.Stderr);
        Assert.Equal(Expected.Select(r => r[..r.LastIndexOf(',')] + ","), Rows(plain));
    }

    /// <summary>The two shards of the list merge into both rows (the list was once refused as naming one instance twice).</summary>
    [Fact]
    public void Shards_and_jobs_keep_both_instances()
    {
        var (_, set) = Family();
        var shards = new[] { Path.Combine(_dir, "s1.csv"), Path.Combine(_dir, "s2.csv") };
        for (int k = 0; k < 2; k++)
        {
            var run = CommandHarness.Certify(["run", set, "--shard", $"{k + 1}/2", "--out", shards[k]]);
            Assert.True(run.Code == 0, run.Stderr);
        }
        var merged = Path.Combine(_dir, "merged.csv");
        var merge = CommandHarness.Certify(["merge", merged, shards[0], shards[1], "--instances", set]);
        Assert.True(merge.Code == 0, merge.Stderr);
        Assert.Equal(Expected, Rows(merged));

        var jobs = Path.Combine(_dir, "jobs.csv");
        var (code, _, stderr) = CommandHarness.Certify(["run", set, "--jobs", "2", "--out", jobs]);
        Assert.True(code == 0, stderr);
        Assert.Equal(Expected, Rows(jobs));
    }

    /// <summary>
    /// A list whose paths do not follow the family layout (absolute paths to two files of the same names) still runs and
    /// keeps both rows and result files; but --resume and --jobs, which match rows back to instances by name, refuse it
    /// with one line naming both lines of the list (resume once took the second for the first, --jobs failed to match).
    /// </summary>
    [Fact]
    public void A_list_whose_instances_share_their_names_is_refused_where_rows_are_matched_back()
    {
        Family();
        string Abs(string sub, string kind, string file) => Path.Combine(_dir, "fam", kind, sub, file);
        var list = CliFiles.Write(_dir, "absolute.csv", "family,onnx,vnnlib,timeout,label\n" +
            $"fam,{Abs("a", "onnx", "net.nnet")},{Abs("a", "vnnlib", "prop.vnnlib")},60,sat\nfam,{Abs("b", "onnx", "net.nnet")},{Abs("b", "vnnlib", "prop.vnnlib")},60,unsat\n");
        var results = Path.Combine(_dir, "abs.csv");
        var outDir = Path.Combine(_dir, "abs-out");
        var run = CommandHarness.Certify(["run", list, "--out", results, "--out-dir", outDir]);
        Assert.True(run.Code == 0, run.Stderr);
        Assert.Equal(["sat", "unsat"], RunResultsList.Read(results).Rows.Select(r => r.Result));
        Assert.Equal(2, Directory.GetFiles(outDir).Length);
        foreach (var extra in new[] { new[] { "--resume" }, ["--jobs", "2"] })
        {
            var before = File.ReadAllText(results);
            run = CommandHarness.Certify(["run", list, "--out", results, .. extra]);
            Assert.Equal(Certify.Cli.ExitCodes.BadInput, run.Code);
            var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("absolute.csv:3: the instance fam net prop has the names of", line);
            Assert.Contains("absolute.csv:2", line);
            Assert.Equal(before, File.ReadAllText(results));   // refused before the file was opened
        }
    }
}

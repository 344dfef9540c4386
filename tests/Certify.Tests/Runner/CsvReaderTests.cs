using Certify.Verification.Benchmarks;

namespace Certify.Tests.Runner;

/// <summary>
/// The one list reader on every kind of list it reads: a VNN-COMP instances.csv (no header) with its published labels,
/// a header list as in sets/, Certify's results files, quoted fields, and bad rows whose errors name file and line.
/// </summary>
public sealed class CsvReaderTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("certify-csv-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Instances_csv_without_header_gets_labels_from_published_results()
    {
        var fam = Path.Combine(_dir, "fam");
        Write("fam/onnx/a.onnx", "");
        var list = Write("fam/instances.csv", "onnx/a.onnx,vnnlib/p.vnnlib,116\r\n\r\nonnx/a.onnx,\"vnnlib/q,1.vnnlib\",5\n");
        Write("fam/published_results.csv", "onnx,vnnlib,label,label_source\nonnx/a.onnx,vnnlib/p.vnnlib,holds,x\n\"onnx/a.onnx\",\"vnnlib/q,1.vnnlib\",violated,y\n");
        var inst = InstanceList.Load(list);
        Assert.Equal(2, inst.Count);
        Assert.Equal(("fam", Path.Combine(fam, "onnx", "a.onnx"), 116.0, "unsat", 1), (inst[0].Family, inst[0].Onnx, inst[0].TimeoutSeconds, inst[0].Label, inst[0].Line));
        // A quoted comma is part of the path, and the blank line counts: the row is on line 3.
        Assert.Equal((Path.Combine(fam, "vnnlib", "q,1.vnnlib"), "vnnlib/q,1.vnnlib", "sat", 3), (inst[1].Vnnlib, inst[1].VnnlibEntry, inst[1].Label, inst[1].Line));
    }

    [Fact]
    public void Header_list_as_in_sets_reads_family_label_and_paths_from_the_bench_root()
    {
        Write("acas/onnx/n.onnx", "");
        var list = Write("sets/some.csv", "family,onnx,vnnlib,timeout,label,label_confidence\nacas,acas/onnx/n.onnx,acas/vnnlib/p.vnnlib,60,unsat,strong\nother,acas/onnx/n.onnx,acas/vnnlib/q.vnnlib,7.5,,\n");
        var inst = InstanceList.Load(list);
        Assert.Equal(("acas", Path.Combine(_dir, "acas", "onnx", "n.onnx"), "unsat"), (inst[0].Family, inst[0].Onnx, inst[0].Label));
        Assert.Equal(("other", 7.5, (string?)null, 3), (inst[1].Family, inst[1].TimeoutSeconds, inst[1].Label, inst[1].Line));
    }

    [Theory]
    [InlineData("a.onnx,p.vnnlib,60\na.onnx,p.vnnlib,zero\n", 2, "timeout 'zero' is not a number")]
    [InlineData("a.onnx,p.vnnlib,60\n\n\na.onnx,p.vnnlib,-1\n", 4, "timeout -1")]
    [InlineData("a.onnx,p.vnnlib\n", 1, "no timeout")]
    [InlineData("a.onnx\n", 1, "expected at least onnx,vnnlib")]
    public void A_bad_instance_row_is_one_error_naming_file_and_line(string text, int line, string what)
    {
        var list = Write("instances.csv", text);
        var e = Assert.IsType<CsvFormatException>(Assert.ThrowsAny<FormatException>(() => InstanceList.Load(list)));
        Assert.StartsWith($"{list}:{line}: ", e.Message);
        Assert.Contains(what, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void An_unterminated_quote_is_an_error_naming_the_file()
    {
        var list = Write("instances.csv", "a.onnx,p.vnnlib,60\n\"a.onnx,p.vnnlib,60\n");
        var e = Assert.ThrowsAny<FormatException>(() => InstanceList.Load(list));
        Assert.StartsWith($"{list}", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Results_files_round_trip_through_the_one_writer_even_with_commas_and_quotes()
    {
        var inst = new Instance("fam,ily", "/x/net \"v1\".onnx", "/x/p.vnnlib", 60, "sat");
        var path = Write("results.csv", RunResultsList.Header + "\n" + RunResultsList.Line(inst, "sat", 1.25) + RunResultsList.Line(inst with { Family = "plain", Label = null }, "timeout", 60));
        var read = RunResultsList.Read(path);
        Assert.Equal(2, read.Rows.Count);
        Assert.Equal(("fam,ily", "net \"v1\"", "p", "sat", 1.25, "sat", 2), (read.Rows[0].Family, read.Rows[0].Network, read.Rows[0].Property, read.Rows[0].Result, read.Rows[0].Seconds, read.Rows[0].Label, read.Rows[0].Line));
        Assert.Equal(("plain", "timeout", (string?)null), (read.Rows[1].Family, read.Rows[1].Result, read.Rows[1].Label));
    }

    [Theory]
    [InlineData("family,network,property,result,seconds,label\nA,n,p,unsat,1,\nA,n,p,perhaps,1,\n", 3, "perhaps")]
    [InlineData("family,network,property,result\nA,n,p,unsat\n", 1, "seconds")]
    public void A_bad_results_row_names_file_and_line(string text, int line, string what)
    {
        var path = Write("results.csv", text);
        var e = Assert.Throws<CsvFormatException>(() => RunResultsList.Read(path));
        Assert.StartsWith($"{path}:{line}: ", e.Message);
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void Published_results_read_as_labels_only_for_sat_and_unsat()
    {
        var path = Write("published_results.csv", "onnx,vnnlib,label\na,b,unsat\na,c,unknown\na,d,CONFLICT\na,e,sat\n");
        var labels = InstanceList.PublishedLabels(path)!;
        Assert.Equal(new Dictionary<(string, string), string> { [("a", "b")] = "unsat", [("a", "e")] = "sat" }, labels);
    }
}

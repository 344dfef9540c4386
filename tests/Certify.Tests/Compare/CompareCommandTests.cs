using Certify.Cli;
using Certify.Cli.Commands;
using Certify.Reports;
using Certify.Tests.Hostile;
using Certify.Verification.Benchmarks;

namespace Certify.Tests.Compare;

/// <summary>
/// <c>certify compare</c> with fake tools (bash scripts that log each call and write a verdict chosen from the
/// property's name), on a tiny list whose answers are known by hand (the hostile corpus's network
/// <c>y0 = relu(x0 + x1)</c>, <c>y1 = relu(x0 − x1)</c> on <c>[0, 1]²</c>, <see cref="GroundTruthModels"/>): the order of
/// the runs, the tables' counts against what the tools were made to answer, the re-check of every sat's counterexample,
/// resuming, the VNN-COMP folder form and the one-line errors of a bad <c>--tool</c>. No test runs a real verifier or
/// depends on how fast anything is.
/// </summary>
[Collection(SequentialRandomCollection.Name)]   // Program.Main (the error-line tests) binds the process-wide Console
public sealed class CompareCommandTests
{
    /// <summary>
    /// The properties of the tiny list, with the unsafe set of each: the label is in the name (y0 reaches at most 2, at
    /// x = (1, 1)); "hard" has no label and no answer from any tool.
    /// </summary>
    static readonly (string Property, string? Label, string Unsafe)[] Properties =
        [("sat_a", "sat", "(>= Y_0 1.5)"), ("unsat_b", "unsat", "(>= Y_0 2.5)"), ("unsat_c", "unsat", "(>= Y_0 3)"), ("hard_d", null, "(>= Y_0 1.9)")];

    /// <summary>
    /// A fake tool: appends "NAME PROPERTY TIMEOUT" to the log, then writes the verdict. <c>good</c> answers each label
    /// (timeout on "hard"), with the true counterexample x = (1, 1), y = (2, 0) for sat; <c>bad</c> says sat with that
    /// counterexample on everything but "hard" (so it is wrong on the unsat ones: there it violates nothing);
    /// <c>nocex</c>, <c>wrongx</c> and <c>wrongy</c> answer as <c>good</c> but give sat_a no counterexample, one that
    /// violates nothing (x = (0, 0)), or the right input with outputs the network does not compute; <c>sleep</c> hangs on
    /// "unsat_b" (having written its process id to LOG.sleeping) and answers unknown elsewhere.
    /// </summary>
    const string FakeTool = """
        #!/usr/bin/env bash
        name="$1"; mode="$2"; log="$3"; vnnlib="$5"; results="$6"; timeout="$7"
        p="$(basename "$vnnlib" .vnnlib)"
        echo "$name $p $timeout" >> "$log"
        case "$mode:$p" in
          *:hard*) echo timeout > "$results" ;;
          good:sat*) printf 'sat\n((X_0 1)\n (X_1 1)\n (Y_0 2)\n (Y_1 0))\n' > "$results" ;;
          nocex:sat*) echo sat > "$results" ;;
          wrongx:sat*) printf 'sat\n((X_0 0)\n (X_1 0)\n (Y_0 0)\n (Y_1 0))\n' > "$results" ;;
          wrongy:sat*) printf 'sat\n((X_0 1)\n (X_1 1)\n (Y_0 7)\n (Y_1 0))\n' > "$results" ;;
          bad:*) printf 'violated\n((X_0 1) (X_1 1))\n' > "$results" ;;
          sleep:unsat_b) echo $$ > "$log.sleeping"; sleep 600 ;;
          sleep:*) echo unknown > "$results" ;;
          *:unsat*) echo holds > "$results" ;;
        esac
        """;

    sealed record Setup(string Dir, string List, string Log, string Script)
    {
        public string Tool(string name, string mode) => $"{name}=bash {CommandTool.Quote(Script)} {name} {mode} {CommandTool.Quote(Log)} {{onnx}} {{vnnlib}} {{results}} {{timeout}}";
        public string Out => Path.Combine(Dir, "out");
        public string[] LogLines => File.Exists(Log) ? File.ReadAllLines(Log) : [];
    }

    static Setup Create()
    {
        var dir = Path.Combine(Path.GetTempPath(), "certify-compare-test-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(dir, "fam", "onnx"));
        Directory.CreateDirectory(Path.Combine(dir, "fam", "vnnlib"));
        File.WriteAllBytes(Path.Combine(dir, "fam", "onnx", "net.onnx"), GroundTruthModels.OnnxBytes());   // read only to re-check a sat
        var lines = new List<string> { "family,onnx,vnnlib,timeout,label" };
        foreach (var (p, label, unsafeSet) in Properties)
        {
            File.WriteAllText(Path.Combine(dir, "fam", "vnnlib", p + ".vnnlib"), GroundTruthModels.Property(unsafeSet));
            lines.Add($"fam,fam/onnx/net.onnx,fam/vnnlib/{p}.vnnlib,50,{label}");
        }
        var list = Path.Combine(dir, "list.csv");
        File.WriteAllLines(list, lines);
        var script = Path.Combine(dir, "tool.sh");
        File.WriteAllText(script, FakeTool.Replace("\r", "") + "\n");
        return new Setup(dir, list, Path.Combine(dir, "calls.log"), script);
    }

    static (int Code, string Output) Compare(params string[] args) => CommandHarness.Invoke<CompareCommand>(["compare", .. args]);

    [Fact]
    public void Runs_are_interleaved_per_instance_with_the_tool_order_rotated()
    {
        var s = Create();
        Compare(s.List, "--tool", s.Tool("A", "good"), "--tool", s.Tool("B", "good"), "--tool", s.Tool("C", "good"), "--out-dir", s.Out);
        var calls = s.LogLines.Select(l => l.Split(' ')[..2]).Select(p => (Tool: p[0], Property: p[1])).ToList();
        Assert.Equal(Properties.Length * 3, calls.Count);
        for (int k = 0; k < Properties.Length; k++)
        {
            var block = calls.Skip(3 * k).Take(3).ToList();
            Assert.All(block, c => Assert.Equal(Properties[k].Property, c.Property));   // every tool on instance k before instance k+1
            var expected = new[] { "A", "B", "C" }.Skip(k % 3).Concat(new[] { "A", "B", "C" }.Take(k % 3));
            Assert.Equal(expected, block.Select(c => c.Tool));
        }
        // Over the list each tool went first at least once (4 instances, 3 tools).
        Assert.Equal(3, Enumerable.Range(0, Properties.Length).Select(k => calls[3 * k].Tool).Distinct().Count());
    }

    [Fact]
    public void The_rotation_gives_every_tool_every_position_equally_often()
    {
        for (int n = 1; n <= 4; n++)
        {
            var orders = Enumerable.Range(0, 4 * n).Select(k => SideBySide.Order(k, n)).ToList();
            Assert.All(orders, o => Assert.Equal(Enumerable.Range(0, n), o.Order()));                       // a permutation
            for (int pos = 0; pos < n; pos++)
                Assert.All(Enumerable.Range(0, n), t => Assert.Equal(4, orders.Count(o => o[pos] == t)));  // each tool 4 times at each position
        }
    }

    [Fact]
    public void Results_files_and_table_count_solved_and_wrong_against_the_labels()
    {
        var s = Create();
        var (code, output) = Compare(s.List, "--tool", s.Tool("good", "good"), "--tool", s.Tool("bad", "bad"), "--out-dir", s.Out);
        Assert.Equal(ExitCodes.Failure, code);   // the bad tool contradicts labels
        var good = RunResultsList.Read(Path.Combine(s.Out, "good.csv"));
        var bad = RunResultsList.Read(Path.Combine(s.Out, "bad.csv"));
        // What the fake tools were made to answer, from the list's own labels.
        int labelled = Properties.Count(p => p.Label is not null), unsatLabels = Properties.Count(p => p.Label == "unsat");
        Assert.Equal(Properties.Select(p => p.Property), good.Rows.Select(r => r.Property));
        Assert.Equal(Properties.Select(p => p.Label), good.Rows.Select(r => r.Label));
        Assert.Equal(labelled, good.Rows.Count(r => r.Solved));
        Assert.Equal(0, good.Rows.Count(r => r.Wrong));
        Assert.Equal(unsatLabels, bad.Rows.Count(r => r.Wrong));
        Assert.Equal(Properties.Count(p => p.Label == "sat"), bad.Rows.Count(r => r.Solved));
        Assert.All(good.Rows.Concat(bad.Rows).Where(r => r.Property.StartsWith("hard")), r => Assert.Equal("timeout", r.Result));

        var all = RunComparison.Families([good, bad]).Where(f => f.Family == "all").ToDictionary(f => f.Run);
        Assert.Contains($"{"all",-20} {"good",-16} {Properties.Length,5} {all["good"].Solved,6} {0,5}", output);
        Assert.Contains($"{"all",-20} {"bad",-16} {Properties.Length,5} {all["bad"].Solved,6} {unsatLabels,5}", output);
        // The pair row: the commonly solved instances are the sat ones (the only ones bad solved); times from the files.
        var common = good.Rows.Where(r => r.Solved).Join(bad.Rows.Where(r => r.Solved), r => r.Key, r => r.Key, (g, b) => (g.Seconds, b.Seconds)).ToList();
        var pair = ToolComparison.Pairs([good, bad]).Single(p => p.Family == "all");
        Assert.Equal(Properties.Count(p => p.Label == "sat"), pair.Common);
        Assert.Equal(common.Sum(c => c.Item1) / common.Sum(c => c.Item2), pair.Ratio, 12);
        Assert.Contains($"{"good / bad",-34} {pair.Common,6}", output);
        Assert.Contains("disagreement: fam/net unsat_b", output);
        foreach (var f in new[] { "table.txt", "cactus.png", "report.html" }) Assert.True(new FileInfo(Path.Combine(s.Out, f)).Length > 0, f);
    }

    /// <summary>
    /// Every sat is re-checked against the network: a tool that says sat with no counterexample, with an input that
    /// violates nothing, or with outputs the network does not compute is counted wrong (not solved, though the label is
    /// sat), its CSV says why, and compare exits 1; the tool with the true counterexample alone is solved and exits 0.
    /// </summary>
    [Fact]
    public void A_sat_whose_counterexample_is_missing_or_false_is_wrong_and_fails_the_comparison()
    {
        var s = Create();
        var liars = new[] { ("nocex", "without a counterexample"), ("wrongx", "does not violate the property"), ("wrongy", "Y_0 = 7") };
        var (code, output) = Compare([s.List, "--tool", s.Tool("good", "good"), .. liars.SelectMany(l => new[] { "--tool", s.Tool(l.Item1, l.Item1) }), "--out-dir", s.Out]);
        Assert.Equal(ExitCodes.Failure, code);
        ResultRow SatA(string tool)
        {
            var read = RunResultsList.Read(Path.Combine(s.Out, tool + ".csv"));
            Assert.True(read.Checked, $"{tool}.csv has no check column");
            return read.Rows.Single(r => r.Property == "sat_a");
        }
        var good = SatA("good");
        Assert.Equal("sat", good.Result);
        Assert.StartsWith(SatCheck.ValidPrefix, good.Check);
        Assert.True(good.Solved && !good.Wrong);
        foreach (var (tool, why) in liars)
        {
            var row = SatA(tool);
            Assert.Equal(("sat", "sat"), (row.Result, row.Label));   // the word and the label agree: only the check catches it
            Assert.StartsWith(SatCheck.InvalidPrefix, row.Check);
            Assert.Contains(why, row.Check);
            Assert.True(row.Wrong && !row.Solved, $"{tool}: {row.Check}");
            // Its unsat answers are right and solved: only the sat is wrong.
            Assert.Equal(2, RunResultsList.Read(Path.Combine(s.Out, tool + ".csv")).Rows.Count(r => r.Solved));
            Assert.Contains($"{"all",-20} {tool,-16} {Properties.Length,5} {2,6} {1,5}", output);
        }
        Assert.Contains($"{"all",-20} {"good",-16} {Properties.Length,5} {3,6} {0,5}", output);
        Assert.Contains("disagreement: fam/net sat_a", output);
        Assert.Contains("nocex, wrongx, wrongy: sat whose counterexample does not hold", output);
        // Rows that are not sat carry no check.
        Assert.All(RunResultsList.Read(Path.Combine(s.Out, "good.csv")).Rows.Where(r => r.Result != "sat"), r => Assert.Equal("", r.Check));

        var alone = Path.Combine(s.Dir, "alone");
        Assert.Equal(ExitCodes.Ok, Compare(s.List, "--tool", s.Tool("good", "good"), "--out-dir", alone).Code);
        Assert.StartsWith(SatCheck.ValidPrefix, RunResultsList.Read(Path.Combine(alone, "good.csv")).Rows.Single(r => r.Property == "sat_a").Check);
    }

    /// <summary>
    /// In a file with the check column a sat counts as solved only with a valid check: an invalid one and one never
    /// checked (empty) are wrong; in a file without the column (run --out: Certify's own, checked before written) a sat is
    /// solved. certify merge keeps the column, so a rejected sat stays rejected.
    /// </summary>
    [Fact]
    public void A_check_column_decides_a_sat_row_and_survives_a_merge()
    {
        var s = Create();
        var text = RunResultsList.CheckedHeader + "\n" + "f,n,p1,sat,1.000,,valid: reproduced\nf,n,p2,sat,1.000,,invalid: no\nf,n,p3,sat,1.000,,\nf,n,p4,unsat,1.000,,\n";
        var checkedFile = RunResultsList.Parse(text, "c.csv");
        Assert.True(checkedFile.Checked);
        Assert.Equal([true, false, false, true], checkedFile.Rows.Select(r => r.Solved));
        Assert.Equal([false, true, true, false], checkedFile.Rows.Select(r => r.Wrong));
        var plain = RunResultsList.Parse(RunResultsList.Header + "\nf,n,p1,sat,1.000,\n", "r.csv");
        Assert.False(plain.Checked);
        Assert.True(plain.Rows.Single().Solved);

        var shard = Path.Combine(s.Dir, "c.csv");
        File.WriteAllText(shard, text);
        var merged = Path.Combine(s.Dir, "merged.csv");
        var (code, _, stderr) = CommandHarness.Certify(["merge", merged, shard]);
        Assert.True(code == ExitCodes.Ok, stderr);
        Assert.Equal(text, File.ReadAllText(merged));
    }

    /// <summary>A tool's file without the check column (an older compare's) is not resumed: its sat rows were never re-checked.</summary>
    [Fact]
    public void Resume_refuses_a_file_without_the_check_column()
    {
        var s = Create();
        Directory.CreateDirectory(s.Out);
        File.WriteAllText(Path.Combine(s.Out, "A.csv"), RunResultsList.Header + "\nfam,net,sat_a,sat,1.000,sat\n");
        var (code, _, stderr) = CommandHarness.Certify(["compare", s.List, "--tool", s.Tool("A", "good"), "--out-dir", s.Out, "--resume"]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("no check column", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Empty(s.LogLines);
    }

    [Fact]
    public void Pair_counts_sum_the_common_instances_only()
    {
        static RunResults Run(string name, params (string P, string R, double S)[] rows) =>
            new(name + ".csv", name, rows.Select((r, i) => new ResultRow("f", "n", r.P, r.R, r.S, null, i + 2)).ToList());
        var a = Run("a", ("p1", "unsat", 1.0), ("p2", "unsat", 2.0), ("p3", "timeout", 9.0), ("p4", "sat", 0.5));
        var b = Run("b", ("p1", "unsat", 4.0), ("p2", "unknown", 1.0), ("p3", "unsat", 3.0), ("p4", "sat", 0.25));
        var p = ToolComparison.Pairs([a, b]).Single(x => x.Family == "f");
        Assert.Equal(2, p.Common);              // p1 and p4
        Assert.Equal(1.5, p.SecondsA, 12);
        Assert.Equal(4.25, p.SecondsB, 12);
        Assert.Equal(1.5 / 4.25, p.Ratio, 12);
        Assert.Equal(1, p.AFaster);             // p1
    }

    [Fact]
    public void Resume_runs_only_the_missing_instance_tool_pairs()
    {
        var s = Create();
        Compare(s.List, "--tool", s.Tool("A", "good"), "--tool", s.Tool("B", "good"), "--out-dir", s.Out);
        int first = s.LogLines.Length;
        var a = Path.Combine(s.Out, "A.csv");
        var rows = File.ReadAllLines(a);
        File.WriteAllLines(a, rows[..^1]);      // A's last row lost, as if the run had been killed before writing it
        var (code, _) = Compare(s.List, "--tool", s.Tool("A", "good"), "--tool", s.Tool("B", "good"), "--out-dir", s.Out, "--resume");
        Assert.Equal(ExitCodes.Ok, code);
        var again = s.LogLines[first..];
        Assert.Equal($"A {Properties[^1].Property}", string.Join(' ', Assert.Single(again).Split(' ')[..2]));
        Assert.Equal(rows[..^1], File.ReadAllLines(a)[..^1]);   // the kept rows are untouched, the lost one is appended again
        Assert.Equal(Properties.Length, RunResultsList.Read(a).Rows.Count);
        // Without --resume the files start over: every pair runs again.
        Compare(s.List, "--tool", s.Tool("A", "good"), "--tool", s.Tool("B", "good"), "--out-dir", s.Out);
        Assert.Equal(first + 1 + 2 * Properties.Length, s.LogLines.Length);
    }

    [Fact]
    public void A_vnncomp_folder_is_called_with_the_competition_arguments()
    {
        var s = Create();
        var folder = Path.Combine(s.Dir, "tool");
        Directory.CreateDirectory(folder);
        var calls = Path.Combine(s.Dir, "vnn.log");
        File.WriteAllText(Path.Combine(folder, "prepare_instance.sh"), $"echo \"prepare $* $(pwd)\" >> {CommandTool.Quote(calls)}\n");
        File.WriteAllText(Path.Combine(folder, "run_instance.sh"),
            $"echo \"run $*\" >> {CommandTool.Quote(calls)}\ncase \"$4\" in *unsat*) echo unsat > \"$5\";; *sat*) printf 'sat\\n((X_0 1) (X_1 1))\\n' > \"$5\";; *) echo unknown > \"$5\";; esac\n");
        var (code, _) = Compare(s.List, "--tool", "v=vnncomp:" + folder, "--tool", s.Tool("A", "good"), "--timeout-cap", "7", "--out-dir", s.Out);
        Assert.Equal(ExitCodes.Ok, code);
        var lines = File.ReadAllLines(calls);
        Assert.Equal(2 * Properties.Length, lines.Length);
        var onnx = Path.Combine(s.Dir, "fam", "onnx", "net.onnx");
        for (int k = 0; k < Properties.Length; k++)
        {
            var vnnlib = Path.Combine(s.Dir, "fam", "vnnlib", Properties[k].Property + ".vnnlib");
            Assert.Equal($"prepare v1 fam {onnx} {vnnlib} {Path.GetFullPath(folder)}", lines[2 * k]);
            Assert.StartsWith($"run v1 fam {onnx} {vnnlib} {Path.GetFullPath(s.Out)}{Path.DirectorySeparatorChar}results{Path.DirectorySeparatorChar}", lines[2 * k + 1]);
            Assert.EndsWith(" 7", lines[2 * k + 1]);   // min(50, --timeout-cap 7)
        }
        Assert.All(s.LogLines, l => Assert.EndsWith(" 7", l));
        var v = RunResultsList.Read(Path.Combine(s.Out, "v.csv"));
        Assert.Equal(Properties.Select(p => p.Label ?? "unknown"), v.Rows.Select(r => r.Result));
    }

    [Fact]
    public void A_failing_prepare_or_a_missing_result_file_is_an_error_never_an_answer()
    {
        var s = Create();
        var folder = Path.Combine(s.Dir, "tool");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "prepare_instance.sh"), "case \"$4\" in *sat_a*) exit 1;; esac\n");
        File.WriteAllText(Path.Combine(folder, "run_instance.sh"), "case \"$4\" in *unsat_b*) exit 0;; esac\necho unsat > \"$5\"\n");
        Compare(s.List, "--tool", "v=vnncomp:" + folder, "--out-dir", s.Out);
        var rows = RunResultsList.Read(Path.Combine(s.Out, "v.csv")).Rows.ToDictionary(r => r.Property, r => r.Result);
        Assert.Equal("error", rows["sat_a"]);     // prepare_instance.sh failed: run_instance.sh is not called
        Assert.Equal("error", rows["unsat_b"]);   // no result file
        Assert.Equal("unsat", rows["unsat_c"]);
    }

    [Theory]
    [InlineData("nameless", "expected NAME=SPEC")]
    [InlineData("a b=certify", "the name 'a b'")]
    [InlineData("x=", "no SPEC")]
    [InlineData("x=echo {onnx} {vnnlib}", "must contain {results}")]
    [InlineData("x=vnncomp:/no/such/folder", "no such folder")]
    public void A_bad_tool_spec_is_one_line_exit_2(string spec, string expected)
    {
        var s = Create();
        var (code, stdout, stderr) = CommandHarness.Certify(["compare", s.List, "--tool", spec, "--out-dir", s.Out]);
        Assert.Equal(ExitCodes.BadInput, code);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("certify: --tool", line);
        Assert.Contains(expected, line);
        Assert.Empty(s.LogLines);
    }

    [Fact]
    public void A_folder_without_run_instance_or_a_name_given_twice_is_refused()
    {
        var s = Create();
        var folder = Path.Combine(s.Dir, "empty");
        Directory.CreateDirectory(folder);
        var (code, _, stderr) = CommandHarness.Certify(["compare", s.List, "--tool", "v=vnncomp:" + folder, "--out-dir", s.Out]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("no run_instance.sh", stderr);
        (code, _, stderr) = CommandHarness.Certify(["compare", s.List, "--tool", s.Tool("A", "good"), "--tool", s.Tool("a", "bad"), "--out-dir", s.Out]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("given twice", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void Certify_means_this_build_run_as_its_own_process()
    {
        var t = SideBySide.ParseTool("c=certify", "'dotnet' '/x/certify.dll' verify {onnx} {vnnlib} --results {results} --timeout {timeout}", 10);
        var cmd = Assert.IsType<CommandTool>(t.Tool);
        Assert.Equal("c", t.Name);
        Assert.Equal("'dotnet' '/x/certify.dll' verify '/a/n.onnx' '/a/p.vnnlib' --results '/a/r.txt' --timeout 5", cmd.Expand("/a/n.onnx", "/a/p.vnnlib", "/a/r.txt", 5));
    }

    [Fact]
    public async Task Sigterm_kills_the_run_under_way_keeps_the_finished_rows_and_resume_completes_them()
    {
        var s = Create();
        string[] Args(string mode) => ["compare", s.List, "--tool", s.Tool("A", "good"), "--tool", s.Tool("S", mode), "--out-dir", s.Out];
        using var stop = new CancellationTokenSource();
        var argv = Certify.Tests.Cli.CliProcess.CommandLine.Concat(Args("sleep")).ToList();
        var child = ToolProcess.Start(new ToolCommand(argv[0], argv.Skip(1).ToList()) { Timeout = WorkBudgets.HangGuard }, CancellationToken.None, stop.Token);
        var sleeping = s.Log + ".sleeping";
        while (!File.Exists(sleeping) && !child.IsCompleted) Thread.Sleep(50);   // S hangs on instance 2 (it runs first there: rotation)
        Assert.True(File.Exists(sleeping), "the hanging tool never started");
        Thread.Sleep(200);   // let the script's sleep start, so that the kill has a grandchild to end
        stop.Cancel();       // SIGTERM to certify compare
        var outcome = await child;
        Assert.False(outcome.TimedOut, "compare did not stop on SIGTERM");
        Assert.Equal(ExitCodes.Interrupted, outcome.ExitCode);
        Assert.Contains("--resume", outcome.LastErrorLine);
        int pid = int.Parse(File.ReadAllText(sleeping).Trim());
        for (int i = 0; i < 200 && Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z "); i++) Thread.Sleep(50);
        Assert.True(!Directory.Exists($"/proc/{pid}") || File.ReadAllText($"/proc/{pid}/stat").Contains(") Z "), "the hanging tool outlived the interrupted comparison");
        // Instance 1 with both tools; instance 2 with none (S ran first there and was interrupted): no row for the killed run.
        Assert.Equal(["sat_a"], RunResultsList.Read(Path.Combine(s.Out, "A.csv")).Rows.Select(r => r.Property));
        Assert.Equal(["sat_a"], RunResultsList.Read(Path.Combine(s.Out, "S.csv")).Rows.Select(r => r.Property));
        var (code, _) = Compare([.. Args("good")[1..], "--resume"]);
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal(Properties.Select(p => p.Property), RunResultsList.Read(Path.Combine(s.Out, "S.csv")).Rows.Select(r => r.Property));
        Assert.Equal("unknown", RunResultsList.Read(Path.Combine(s.Out, "S.csv")).Rows[0].Result);   // the row kept from the interrupted run
    }
}

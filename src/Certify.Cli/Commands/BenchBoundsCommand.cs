using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Certify.Bounds;
using Certify.Import;
using Certify.Spec;
using static TorchSharp.torch;

namespace Certify.Cli.Commands;

/// <summary>
/// <c>certify bench-bounds</c>: times IBP, CROWN and alpha-CROWN on every oracle instance of <c>../shared/oracle</c> and on a
/// batch of ACAS Xu sub-boxes, with the mean bound width next to each time, and writes a markdown table.
/// </summary>
public sealed class BenchBoundsCommand : ICliCommand
{
    static readonly BoundMethod[] Methods = { BoundMethod.Ibp, BoundMethod.Crown, BoundMethod.AlphaCrown };

    public Command Build()
    {
        var shared = new Option<string>("--shared") { Description = "The shared folder holding bench/ and oracle/.", DefaultValueFactory = _ => "../shared" };
        var output = new Option<string>("--out") { Description = "Markdown file to write.", DefaultValueFactory = _ => "benchmarks/bounds/results.md" };
        var repeat = new Option<int>("--repeat") { Description = "Timed runs per measurement (the median is reported).", DefaultValueFactory = _ => 5 }.AtLeast(1);
        var batch = new Option<int>("--batch") { Description = "ACAS Xu sub-boxes per batch (a power of 32 splits the 5 inputs evenly).", DefaultValueFactory = _ => 1024 }.AtLeast(1);
        var dbl = new Option<bool>("--double") { Description = "Run in float64 (default float32)." };
        var filter = new Option<string?>("--filter") { Description = "Only oracle instances whose name contains this text (and skip the ACAS Xu batch unless it matches 'batch')." };
        var methodsOpt = new Option<string?>("--methods") { Description = "Comma-separated subset of ibp,crown,alpha-crown." };
        var noForward = new Option<bool>("--no-forward-prefilter") { Description = "Refine every interval-unstable neuron with CROWN (no forward-mode pre-filter), to measure what the pre-filter saves." };
        var plain = new Option<bool>("--plain-crown") { Description = "Intermediate bounds by CROWN alone (no interval intersection, no forward-mode pre-filter): auto_LiRPA's default CROWN, the same work as the oracle files and ../shared/peers/lirpa_bounds.py, for a fair speed comparison." };
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads for the run (0: libtorch's default, one per core).", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var cmd = new Command("bench-bounds", "Benchmark IBP, CROWN and alpha-CROWN (time and mean bound width) on the oracle instances and a batch of ACAS Xu sub-boxes. " + BoundOptions.MethodsHelp)
            { shared, output, repeat, batch, dbl, filter, methodsOpt, noForward, plain, threads };
        cmd.SetAction(parse =>
        {
            OutputFiles.Check(parse.GetValue(output), "--out");
            var dir = parse.GetValue(shared)!;
            var oracle = Path.Combine(dir, "oracle");
            if (!Directory.Exists(oracle)) throw new CliException($"{oracle}: not found (pass --shared DIR)");
            var dtype = parse.GetValue(dbl) ? ScalarType.Float64 : ScalarType.Float32;
            var baseOptions = new BoundOptions { DType = dtype, ForwardPrefilterMaxInputSize = parse.GetValue(noForward) ? 0 : new BoundOptions().ForwardPrefilterMaxInputSize };
            if (parse.GetValue(plain)) baseOptions = baseOptions.PlainCrown();
            if (parse.GetValue(threads) > 0) set_num_threads(parse.GetValue(threads));
            int reps = Math.Max(1, parse.GetValue(repeat));
            var md = new StringBuilder();
            md.AppendLine("# Bound propagation benchmark");
            md.AppendLine();
            md.AppendLine($"Command: `./certify bench-bounds --repeat {reps} --batch {parse.GetValue(batch)}{(parse.GetValue(dbl) ? " --double" : "")}{(parse.GetValue(noForward) ? " --no-forward-prefilter" : "")}{(parse.GetValue(plain) ? " --plain-crown" : "")}{(parse.GetValue(threads) > 0 ? $" --threads {parse.GetValue(threads)}" : "")}`  ");
            md.AppendLine($"Machine: {Environment.ProcessorCount} CPU cores, libtorch threads {get_num_threads()}, {dtype}, {DateTime.UtcNow:yyyy-MM-dd}, load average {LoadAverage()}.  ");
            md.AppendLine(baseOptions.IntersectIntermediate || baseOptions.ForwardPrefilterMaxInputSize > 0
                ? "CROWN's intermediate bounds: CROWN intersected with interval and forward-mode bounds (Certify's default; more work and tighter than auto_LiRPA's CROWN, see --plain-crown).  "
                : "CROWN's intermediate bounds: CROWN alone, as auto_LiRPA computes them (--plain-crown).  ");
            md.AppendLine("Time: median of the timed runs after one warm-up run, per instance (one input box, outputs and rows bounded together); ");
            md.AppendLine("width: mean of (upper − lower) over the specification rows. auto_LiRPA: the oracle's float64 CROWN time (Debian torch 1.13, 2 cores).");
            md.AppendLine();
            md.AppendLine("| instance | IBP ms | IBP width | CROWN ms | CROWN width | α-CROWN ms | α-CROWN width | auto_LiRPA CROWN ms |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            var only = parse.GetValue(filter);
            var methods = parse.GetValue(methodsOpt) is { } ms ? ms.Split(',').Select(BoundOptions.ParseMethod).ToArray() : Methods;
            var reluWidths = new List<(string Instance, BoundMethod Method, double Width)>();
            var ratios = new List<(string Instance, string Method, double Ratio)>();
            foreach (var file in Directory.GetFiles(oracle, "*.json").Order())   // the ReLU oracles; oracle/general below
            {
                if (only is not null && !Path.GetFileName(file).Contains(only)) continue;
                using var doc = JsonDocument.Parse(File.ReadAllText(file));
                var root = doc.RootElement;
                var graph = OnnxImporter.Import(Path.Combine(dir, root.GetProperty("onnx").GetString()!));
                var spec = VnnLibParser.Parse(Path.Combine(dir, root.GetProperty("vnnlib").GetString()!));
                double refMs = root.GetProperty("methods").GetProperty("CROWN").GetProperty("seconds").GetDouble() * 1000;
                var cells = new List<string> { Path.GetFileNameWithoutExtension(file) };
                foreach (var m in Methods)
                {
                    if (!methods.Contains(m)) { cells.Add("-"); cells.Add("-"); continue; }
                    var engine = new BoundEngine(graph, baseOptions with { Method = m });
                    var (time, width, min, first) = TimeSpec(engine, spec, reps);
                    cells.Add(Ms(time)); cells.Add(W(width));
                    reluWidths.Add((cells[0], m, width));
                    // The first call (the warm-up) is what a one-shot `certify bounds` pays: JIT compilation and libtorch's first use.
                    Console.Error.WriteLine($"{cells[0]} {BoundOptions.MethodName(m)}: median {Ms(time)} ms (min {Ms(min)}, first call {Ms(first)}), width {W(width)}");
                }
                cells.Add(Ms(refMs));
                md.AppendLine("| " + string.Join(" | ", cells) + " |");
            }
            md.AppendLine();
            GeneralOracles(Path.Combine(oracle, "general"), dir, only, reps, baseOptions, md, methods, ratios);
            if (only is null || "batch".Contains(only))
            {
                AcasBatch(dir, parse.GetValue(batch), 1, reps, baseOptions, md, methods);
                // Branch and bound works on much smaller boxes than the coarse grid (ACAS Xu searches reach 1/8-1/16 of each
                // axis), where fewer neurons are unstable: the same batch size, cut from a grid 8x finer in every axis.
                AcasBatch(dir, parse.GetValue(batch), 8, reps, baseOptions, md, methods);
            }
            var outFile = parse.GetValue(output)!;
            TightnessPlots(outFile, reluWidths, ratios, md);
            OutputFiles.Write(outFile, "--out", () => File.WriteAllText(outFile, md.ToString()));
            Console.WriteLine(md.ToString());
            return 0;
        });
        return cmd;
    }

    /// <summary>
    /// The oracle files of networks beyond plain ReLU (<c>oracle/general</c>): per method, Certify's time, mean lower bound
    /// and mean row width next to auto_LiRPA's (its float64 times, from the file). Where an operator's relaxation has a
    /// free choice the two tools may differ either way, so the table says which is tighter and by how much: the width
    /// ratio is Certify's mean width over auto_LiRPA's (below 1: Certify tighter).
    /// </summary>
    static void GeneralOracles(string general, string dir, string? only, int reps, BoundOptions baseOptions, StringBuilder md, BoundMethod[] methods,
                               List<(string Instance, string Method, double Ratio)> ratios)
    {
        if (!Directory.Exists(general)) return;
        var files = Directory.GetFiles(general, "*.json").Order().Where(f => only is null || Path.GetFileName(f).Contains(only)).ToList();
        if (files.Count == 0) return;
        md.AppendLine("## Beyond ReLU: `oracle/general` against auto_LiRPA");
        md.AppendLine();
        md.AppendLine($"Certify in {baseOptions.DType} (alpha-CROWN {baseOptions.AlphaIterations} Adam iterations); auto_LiRPA in float64 (alpha-CROWN: the");
        md.AppendLine("iterations in the file's settings, 20 or 100 with early stopping), its times as recorded in the oracle file on the same kind of machine.");
        md.AppendLine("Mean lower: mean over the specification rows of the lower bound of `c·y − d` (higher is tighter); width ratio: Certify's mean");
        md.AppendLine("(upper − lower) over auto_LiRPA's (below 1: Certify tighter).");
        md.AppendLine();
        md.AppendLine("| instance | method | Certify ms | auto_LiRPA ms | Certify mean lower | auto_LiRPA mean lower | Certify width | auto_LiRPA width | width ratio |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var file in files)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            var root = doc.RootElement;
            var graph = OnnxImporter.Import(Path.Combine(dir, root.GetProperty("onnx").GetString()!));
            var spec = VnnLibParser.Parse(Path.Combine(dir, root.GetProperty("vnnlib").GetString()!));
            string name = Path.GetFileNameWithoutExtension(file);
            foreach (var m in methods)
            {
                string label = m switch { BoundMethod.Ibp => "IBP", BoundMethod.Crown => "CROWN", _ => "alpha-CROWN" };
                var engine = new BoundEngine(graph, baseOptions with { Method = m });
                var warm = SpecificationBounds.Compute(engine, spec);
                var times = new List<double>();
                for (int i = 0; i < reps; i++) times.Add(SpecificationBounds.Compute(engine, spec).Seconds * 1000);
                double lower = warm.Rows.Average(r => r.Lower), width = warm.Rows.Average(r => r.Upper - r.Lower);
                var cells = new List<string> { name, label, Ms(Median(times)) };
                if (root.GetProperty("methods").TryGetProperty(label, out var theirs))
                {
                    var tl = theirs.GetProperty("lower").EnumerateArray().Select(x => x.GetDouble()).ToArray();
                    var tu = theirs.GetProperty("upper").EnumerateArray().Select(x => x.GetDouble()).ToArray();
                    double theirWidth = tl.Zip(tu, (l, u) => u - l).Average();
                    cells.AddRange(new[] { Ms(theirs.GetProperty("seconds").GetDouble() * 1000), W(lower), W(tl.Average()), W(width), W(theirWidth),
                        theirWidth > 0 ? (width / theirWidth).ToString("F3", CultureInfo.InvariantCulture) : "-" });
                    if (theirWidth > 0) ratios.Add((name, label, width / theirWidth));
                }
                else cells.AddRange(new[] { "-", W(lower), "-", W(width), "-", "-" });
                md.AppendLine("| " + string.Join(" | ", cells) + " |");
                Console.Error.WriteLine($"{name} {label}: median {cells[2]} ms, mean lower {W(lower)}, width {W(width)}");
            }
        }
        md.AppendLine();
    }

    /// <summary>
    /// The bound tightness plots, beside the markdown file and linked from it: for the ReLU oracles, the mean width of
    /// CROWN and alpha-CROWN relative to IBP's (log scale: they are orders of magnitude tighter on deep networks); for
    /// oracle/general, Certify's mean width over auto_LiRPA's per method (1: the same; below: Certify tighter).
    /// </summary>
    static void TightnessPlots(string outFile, List<(string Instance, BoundMethod Method, double Width)> relu,
                               List<(string Instance, string Method, double Ratio)> ratios, StringBuilder md)
    {
        var stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(outFile))!, Path.GetFileNameWithoutExtension(outFile));
        var relative = new Certify.Reports.GroupedBarChart("ReLU oracles: mean bound width relative to IBP (lower is tighter)", "mean width / IBP's mean width (log scale)") { LogScale = true, Reference = 1 };
        foreach (var g in relu.GroupBy(r => r.Instance))
            if (g.FirstOrDefault(r => r.Method == BoundMethod.Ibp) is { Width: > 0 } ibp)
                foreach (var r in g.Where(r => r.Method != BoundMethod.Ibp)) relative.Add(g.Key, BoundOptions.MethodName(r.Method), r.Width / ibp.Width);
        var versus = new Certify.Reports.GroupedBarChart("oracle/general: Certify's mean bound width over auto_LiRPA's (below 1: Certify tighter)", "width ratio") { Reference = 1 };
        foreach (var r in ratios) versus.Add(r.Instance, r.Method, r.Ratio);
        foreach (var (chart, suffix, what) in new[] { (relative, ".tightness.png", "Bound tightness relative to IBP"), (versus, ".vs-auto_lirpa.png", "Width ratio against auto_LiRPA") })
        {
            if (chart.Count == 0) continue;
            var png = stem + suffix;
            OutputFiles.Write(png, "--out", () => chart.Save(png));
            md.AppendLine($"![{what}]({Path.GetFileName(png)})");
            md.AppendLine();
            Console.Error.WriteLine($"plot: {png}");
        }
    }

    static string Ms(double ms) => ms.ToString(ms < 10 ? "F2" : "F1", CultureInfo.InvariantCulture);
    static string W(double w) => w.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>Median time (ms) of bounding every region, and the mean row width.</summary>
    static (double Ms, double Width, double Min, double First) TimeSpec(BoundEngine engine, Specification spec, int reps)
    {
        var warm = SpecificationBounds.Compute(engine, spec);
        var times = new List<double>();
        for (int i = 0; i < reps; i++) times.Add(SpecificationBounds.Compute(engine, spec).Seconds * 1000);
        return (Median(times), warm.Rows.Average(r => r.Upper - r.Lower), times.Min(), warm.Seconds * 1000);
    }

    /// <summary>The 1-minute load average (Linux), "?" elsewhere: timings on a shared machine mean little without it.</summary>
    static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return "?"; }
    }

    static double Median(List<double> v) { v.Sort(); return v[v.Count / 2]; }

    /// <summary>
    /// ACAS Xu network 1_1 on property 2's box split into an even grid of about <paramref name="batch"/> sub-boxes, bounded
    /// in one batch. With <paramref name="finer"/> &gt; 1 the grid has that many times more parts per axis and the batch
    /// takes an evenly spread <paramref name="batch"/> of its cells.
    /// </summary>
    static void AcasBatch(string dir, int batch, int finer, int reps, BoundOptions baseOptions, StringBuilder md, BoundMethod[] methods)
    {
        var onnx = Path.Combine(dir, "bench/acasxu/onnx/ACASXU_run2a_1_1_batch_2000.onnx");
        var prop = Path.Combine(dir, "bench/acasxu/vnnlib/prop_2.vnnlib");
        var graph = OnnxImporter.Import(onnx);
        var spec = VnnLibParser.Parse(prop);
        var region = spec.Regions[0];
        var (c, _) = SpecificationMatrix.FromRegion(region, (int)graph.OutputSize);
        var (lo, hi) = Grid(region.Lower, region.Upper, batch);
        if (finer > 1)
        {
            // Cell j of the coarse grid is cut into finer^n cells; one of them, chosen by a fixed-seed generator, is kept.
            var g = manual_seed(0);
            var pick = randint(0, finer, lo.shape, generator: g).to_type(ScalarType.Float64);   // [B, n]
            var step = (hi - lo) / finer;
            (lo, hi) = (lo + pick * step, lo + (pick + 1) * step);
        }
        string cells = finer == 1 ? "an even grid" : $"cells of a grid {finer}x finer per axis";
        md.AppendLine($"## ACAS Xu batch: {lo.shape[0]} sub-boxes of prop_2 on ACASXU_run2a_1_1, {cells} (one call, {c.shape[0]} rows each)");
        md.AppendLine();
        md.AppendLine("| method | ms per batch | sub-boxes / s | mean row width |");
        md.AppendLine("|---|---:|---:|---:|");
        foreach (var m in methods)
        {
            var engine = new BoundEngine(graph, baseOptions with { Method = m });
            double width;
            using (var r = engine.Compute(lo, hi, c)) width = (r.Upper - r.Lower).mean().to_type(ScalarType.Float64).item<double>();
            var times = new List<double>();
            for (int i = 0; i < reps; i++)
            {
                var w = Stopwatch.StartNew();
                using (var r = engine.Compute(lo, hi, c)) { }
                times.Add(w.Elapsed.TotalMilliseconds);
            }
            double ms = Median(times);
            md.AppendLine($"| {BoundOptions.MethodName(m)} | {Ms(ms)} | {(lo.shape[0] / (ms / 1000)).ToString("F0", CultureInfo.InvariantCulture)} | {W(width)} |");
            Console.Error.WriteLine($"ACAS batch (x{finer}) {BoundOptions.MethodName(m)}: median {Ms(ms)} ms (min {Ms(times.Min())}), width {W(width)}");
        }
    }

    /// <summary>Splits the box into an even grid of about <paramref name="count"/> sub-boxes (same number of parts per axis, rounded down).</summary>
    static (Tensor Lower, Tensor Upper) Grid(double[] lower, double[] upper, int count)
    {
        int n = lower.Length;
        int parts = Math.Max(1, (int)Math.Floor(Math.Pow(count, 1.0 / n) + 1e-9));
        var lows = new List<double[]>(); var highs = new List<double[]>();
        var idx = new int[n];
        while (true)
        {
            var l = new double[n]; var u = new double[n];
            for (int i = 0; i < n; i++)
            {
                double step = (upper[i] - lower[i]) / parts;
                l[i] = lower[i] + idx[i] * step;
                u[i] = idx[i] == parts - 1 ? upper[i] : lower[i] + (idx[i] + 1) * step;
            }
            lows.Add(l); highs.Add(u);
            int k = 0;
            while (k < n && ++idx[k] == parts) idx[k++] = 0;
            if (k == n) break;
        }
        return (tensor(lows.SelectMany(v => v).ToArray(), new long[] { lows.Count, n }, ScalarType.Float64),
                tensor(highs.SelectMany(v => v).ToArray(), new long[] { highs.Count, n }, ScalarType.Float64));
    }
}

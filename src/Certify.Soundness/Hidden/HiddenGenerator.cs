using System.Globalization;
using System.Text.Json;
using Certify.Import;
using Certify.Spec;
using Certify.Verification;
using Certify.Verification.Benchmarks;
using Certify.Verification.Search;
using static TorchSharp.torch;

namespace Certify.Soundness.Hidden;

/// <summary>Settings of <see cref="HiddenGenerator"/> (grade two of the soundness benchmark, issue 16).</summary>
/// <param name="Families">Architecture families, each trained <paramref name="ModelsPerFamily"/> times.</param>
/// <param name="ModelsPerFamily">Models per family.</param>
/// <param name="PlantedPerModel">Boxes with a learned hidden counterexample per model.</param>
/// <param name="ControlsPerModel">Boxes without one per model (labelled unsat only by a checked certificate).</param>
/// <param name="Radii">Half-widths of the boxes, cycled over a model's boxes.</param>
/// <param name="Seed">Seed of everything random; each model's seed is derived from it, its family and its index.</param>
/// <param name="TimeoutSeconds">Time limit written to instances.csv.</param>
/// <param name="Training">Training settings.</param>
/// <param name="Hiding">The attack ensemble every box must survive.</param>
/// <param name="ProofDomains">Branch-and-bound domains a control's proof may use (a work budget).</param>
/// <param name="InputScale">First-layer initial weight scale (default 3 / <paramref name="Spread"/>; its initial bias bound is scale × spread / 2; see <see cref="HiddenNetwork.Mlp"/>).</param>
/// <param name="Spread">Box centres are drawn uniformly from [−Spread, Spread]ⁿ: all boxes lie where the first layer's
/// initial hyperplanes cross, so every box holds kinks that training can shape into a narrow violation.</param>
/// <param name="ProofSafetySeconds">Wall-clock guard on a control's proof; a proof cut by it gives <c>unknown</c>.</param>
public sealed record HiddenGeneratorOptions(
    IReadOnlyList<HiddenFamily> Families, int ModelsPerFamily = 2, int PlantedPerModel = 8, int ControlsPerModel = 3,
    double[]? Radii = null, long Seed = 1, double TimeoutSeconds = 100, HiddenTrainingOptions? Training = null,
    HidingBudget? Hiding = null, long ProofDomains = 3_000, double ProofSafetySeconds = 30, double? InputScale = null, double Spread = 0.2)
{
    /// <summary>Radii used (default 0.05 and 0.1).</summary>
    public double[] BoxRadii => Radii ?? [0.05, 0.1];
}

/// <summary>What the generator recorded about one box of one model, written or rejected (one row of hiding_checks.csv).</summary>
public sealed record HiddenBoxRecord(
    string Model, string Family, int Box, string Kind, string Vnnlib, string Expected, double Radius, int Label,
    double TrainObjective, double OrtObjective, double[] Pgd, double Uniform, double Corners, double Probe, int ProbeCandidates,
    double ProbeNearest, string Rejected, string Proof, string Counterexample);

/// <summary>One model's records (<c>counterexamples/models/NAME.json</c>): the resume unit.</summary>
public sealed record HiddenModelRecord(string Name, string Family, long Seed, double RoundTripError, double TrainLoss, double Seconds, List<HiddenBoxRecord> Boxes);

/// <summary>
/// Generates <c>planted-v2</c>-style benchmarks: for each family and model index, an ordinary network is trained by
/// <see cref="HiddenTrainer"/> on several disjoint input boxes, some with a planted point that must violate ("class k
/// wins" fails there), the others without; it is exported to ONNX, re-imported (the round trip is compared with ONNX
/// Runtime), and every box is put through <see cref="HidingChecks"/>. A planted box is written only when its point
/// violates in ONNX Runtime and no check finds any counterexample; a control box only when no check finds one, and it is
/// labelled <c>unsat</c> only when Certify's branch and bound proves it and <c>check-certificate</c> accepts the
/// certificate, else <c>unknown</c>. Each model is one resume unit: its record is written last, and a model with a
/// record is not generated again, so an interrupted run continues where it stopped. Everything is derived from the seed
/// (one torch thread), so a rerun writes the same files.
/// </summary>
public sealed class HiddenGenerator(HiddenGeneratorOptions options)
{
    readonly HiddenTrainingOptions _training = options.Training ?? new HiddenTrainingOptions();
    readonly HidingBudget _hiding = options.Hiding ?? new HidingBudget();
    readonly System.Diagnostics.Stopwatch _clock = new();

    /// <summary>Receives progress lines; null is silent.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Generated model records go here (inside the private folder).</summary>
    public static string ModelsFolder(string dir) => Path.Combine(dir, BenchmarkManifest.Folder, "models");

    /// <summary>Generates (or resumes) into <paramref name="dir"/>; returns every model's record, old and new.</summary>
    public IReadOnlyList<HiddenModelRecord> Generate(string dir, Action<HiddenModelRecord>? progress = null)
    {
        _clock.Restart();
        int threads = get_num_threads();
        set_num_threads(1);
        try
        {
            foreach (var sub in new[] { "onnx", "vnnlib", BenchmarkManifest.Folder }) Directory.CreateDirectory(Path.Combine(dir, sub));
            Directory.CreateDirectory(ModelsFolder(dir));
            var records = new List<HiddenModelRecord>();
            // Round robin over families: a run cut short covers every family before it adds second models.
            for (int k = 0; k < options.ModelsPerFamily; k++)
                foreach (var family in options.Families)
                {
                    var name = $"{family.Name}_{k}";
                    var recordPath = Path.Combine(ModelsFolder(dir), name + ".json");
                    HiddenModelRecord record;
                    if (File.Exists(recordPath)) { record = Load(recordPath); Log?.Invoke($"{name}: already generated (resumed)"); }
                    else
                    {
                        record = GenerateModel(dir, family, k, name);
                        File.WriteAllText(recordPath + ".tmp", JsonSerializer.Serialize(record, Json));
                        File.Move(recordPath + ".tmp", recordPath, overwrite: true);
                    }
                    records.Add(record);
                    WriteIndex(dir, records);
                    progress?.Invoke(record);
                }
            return records;
        }
        finally { set_num_threads(threads); }
    }

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    static HiddenModelRecord Load(string path) => JsonSerializer.Deserialize<HiddenModelRecord>(File.ReadAllText(path), Json)
        ?? throw new FormatException($"{path}: not a model record");

    /// <summary>The seed of model <paramref name="k"/> of <paramref name="family"/>: a stable hash (not string.GetHashCode, which changes per process).</summary>
    long ModelSeed(HiddenFamily family, int k)
    {
        ulong h = 14695981039346656037UL ^ (ulong)options.Seed;
        foreach (char c in $"{family.Name}/{k}") { h ^= c; h *= 1099511628211UL; }
        return (long)(h % int.MaxValue) + 1;
    }

    HiddenModelRecord GenerateModel(string dir, HiddenFamily family, int k, string name)
    {
        var started = _clock.Elapsed;
        long seed = ModelSeed(family, k);
        manual_seed(seed);
        var rng = new Random((int)seed);
        double scale = options.InputScale ?? 3 / options.Spread;
        using var net = family.Build(scale, scale * options.Spread / 2);
        int n = family.InputSize;
        int total = options.PlantedPerModel + options.ControlsPerModel;
        var kinds = Enumerable.Repeat(true, options.PlantedPerModel).Concat(Enumerable.Repeat(false, options.ControlsPerModel)).OrderBy(_ => rng.Next()).ToArray();
        var boxes = new List<TrainingBox>();
        var radii = new List<double>();
        for (int b = 0; b < total; b++)
        {
            double eps = options.BoxRadii[b % options.BoxRadii.Length];
            var region = DisjointBox(rng, n, eps, options.Spread, boxes.Select(t => t.Region).ToList());
            int label = rng.Next(2);
            region = WithLabel(region, label);
            double[]? point = kinds[b] ? PlantedPoint(rng, region) : null;
            boxes.Add(new TrainingBox(region, label, point));
            radii.Add(eps);
        }
        var (loss, trainObj) = HiddenTrainer.Train(net, boxes, _training.ForInputs(n), seed, Log is null ? null : m => Log($"  {name} {m}"));
        Log?.Invoke($"[{_clock.Elapsed.TotalSeconds,6:F0}s] {name}: trained, loss {loss:G3}, planted objectives {string.Join(" ", trainObj.Select(v => v.ToString("F3", CultureInfo.InvariantCulture)))}");
        var onnxRel = $"onnx/{name}.onnx";
        var onnxPath = Path.Combine(dir, onnxRel);
        var graph = net.Detached();
        OnnxExporter.Export(graph, onnxPath);
        // The round trip: the file Certify imports must compute what ONNX Runtime computes (attention uses the
        // importer's product-of-variables form, so this is its check).
        var imported = Verifier.LoadModel(onnxPath).To(ScalarType.Float32);
        double roundTrip = RoundTripError(imported, onnxPath, boxes);
        var records = new List<HiddenBoxRecord>();
        int pi = 0;
        for (int b = 0; b < total; b++)
        {
            var box = boxes[b];
            bool planted = box.Planted is not null;
            double tobj = planted ? trainObj[pi++] : double.NaN;
            var outcome = HidingChecks.Run(imported, onnxPath, box.Region, box.Label, box.Planted, _hiding, seed + 1000 * (b + 1));
            string? failed = !(roundTrip < 1e-4) ? "roundtrip" : outcome.Failed(_hiding.OrtViolation, planted);
            string vnnRel = "", expected = "", proof = "", cexRel = "";
            if (failed is null)
            {
                vnnRel = $"vnnlib/{name}_{b}.vnnlib";
                var vnnPath = Path.Combine(dir, vnnRel);
                VnnLibWriter.Write(new Specification(new[] { box.Region }, n, 2, name), vnnPath);
                if (planted)
                {
                    expected = "sat";
                    cexRel = $"{BenchmarkManifest.Folder}/{name}_{b}.counterexample";
                    using var ort = new Runtime.OnnxRuntimeModel(onnxPath);
                    ResultFile.Write(Path.Combine(dir, cexRel), ResultStatus.Sat, box.Planted, ort.Run(box.Planted!));
                }
                else (expected, proof) = ProveControl(dir, onnxPath, vnnPath, name, b);
            }
            var rec = new HiddenBoxRecord(name, family.Name, b, planted ? BenchmarkManifest.Planted : BenchmarkManifest.Control, vnnRel, expected,
                radii[b], box.Label, tobj, outcome.OrtObjective, outcome.Pgd, outcome.Uniform, outcome.Corners, outcome.Probe, outcome.ProbeCandidates,
                outcome.ProbeNearest, failed ?? "", proof, cexRel);
            records.Add(rec);
            Log?.Invoke($"[{_clock.Elapsed.TotalSeconds,6:F0}s] {name} box {b} ({rec.Kind}, r {rec.Radius}): {(failed is null ? "kept" : "REJECTED by " + failed)}; ort {outcome.OrtObjective:F4}, " +
                        $"pgd {string.Join("/", outcome.Pgd.Select(v => v.ToString("F3", CultureInfo.InvariantCulture)))}, uniform {outcome.Uniform:F3}, corners {outcome.Corners:F3}, probe {outcome.Probe:F3}{(proof.Length > 0 ? ", proof " + proof : "")}");
        }
        if (records.All(r => r.Vnnlib.Length == 0)) File.Delete(onnxPath);
        return new HiddenModelRecord(name, family.Name, seed, roundTrip, loss, (_clock.Elapsed - started).TotalSeconds, records);
    }

    /// <summary>Largest |Certify's imported graph − ONNX Runtime| over each box's centre and corners-ish samples.</summary>
    static double RoundTripError(Graph.ComputationGraph imported, string onnxPath, IReadOnlyList<TrainingBox> boxes)
    {
        using var ort = new Runtime.OnnxRuntimeModel(onnxPath);
        var rng = new Random(7);
        double worst = 0;
        foreach (var b in boxes)
            for (int s = 0; s < 4; s++)
            {
                var x = b.Region.Lower.Select((l, i) => l + rng.NextDouble() * (b.Region.Upper[i] - l)).ToArray();
                var yo = ort.Run(x);
                using var scope = NewDisposeScope();
                var yc = imported.Forward(tensor(x, dtype: ScalarType.Float32).reshape(new long[] { 1 }.Concat(imported.InputShape).ToArray()))
                    .flatten().to_type(ScalarType.Float64).data<double>().ToArray();
                worst = Math.Max(worst, yo.Zip(yc, (p, q) => Math.Abs(p - q)).Max());
            }
        return worst;
    }

    /// <summary>
    /// A control's label: Certify's branch and bound (no attack, no MILP) with a certificate, then the independent checker.
    /// <c>unsat</c> only when the checker accepts; otherwise <c>unknown</c> with why in the proof column.
    /// </summary>
    (string Expected, string Proof) ProveControl(string dir, string onnxPath, string vnnPath, string name, int b)
    {
        var certDir = Path.Combine(dir, BenchmarkManifest.Folder, "certificates");
        Directory.CreateDirectory(certDir);
        var certPath = Path.Combine(certDir, $"{name}_{b}.json");
        VerificationReport report;
        try
        {
            report = Verifier.Verify(onnxPath, vnnPath, new VerifierOptions
            {
                Timeout = TimeSpan.FromSeconds(options.ProofSafetySeconds),
                Attack = false,
                Exact = ExactStage.None,
                Threads = 1,
                Bab = new BabOptions { MaxDomains = options.ProofDomains },
                Certificate = new CertificateRequest(certPath, onnxPath, vnnPath),
            });
        }
        catch (Exception e) when (e is NotSupportedException or ArgumentException or InvalidOperationException) { return ("unknown", $"not proved: {OneLine(e.Message)}"); }
        if (report.Verdict.Kind != VerdictKind.Unsat) { File.Delete(certPath); return ("unknown", $"not proved: {report.Verdict.Kind.ToString().ToLowerInvariant()}"); }
        if (!File.Exists(certPath)) return ("unknown", $"bab unsat, no certificate ({OneLine(report.Certificate ?? "none")})");
        var check = Verification.Proofs.CertificateFiles.Check(onnxPath, vnnPath, certPath, parallelism: 1);
        if (!check.Accepted) { File.Delete(certPath); return ("unknown", $"bab unsat, certificate rejected: {OneLine(check.Message)}"); }
        return ("unsat", $"certified ({check.Leaves} leaves)");
    }

    static string OneLine(string s) => s.Split('\n')[0].Replace(',', ';').Trim();

    /// <summary>A box of half-width <paramref name="eps"/> around a centre in [−spread, spread]ⁿ (float32-exact) not overlapping <paramref name="others"/>.</summary>
    static InputRegion DisjointBox(Random rng, int n, double eps, double spread, IReadOnlyList<InputRegion> others)
    {
        while (true)
        {
            var c = Enumerable.Range(0, n).Select(_ => (double)(float)((rng.NextDouble() * 2 - 1) * spread)).ToArray();
            bool clash = others.Any(o => c.Select((v, i) => Math.Abs(v - (o.Lower[i] + o.Upper[i]) / 2) - (o.Upper[i] - o.Lower[i]) / 2).Max() < 2 * eps);
            if (clash) continue;
            return new InputRegion(c.Select(v => (double)(float)(v - eps)).ToArray(), c.Select(v => (double)(float)(v + eps)).ToArray(),
                new OutputCondition(Array.Empty<Conjunction>()));
        }
    }

    /// <summary><paramref name="box"/> with the property "class <paramref name="label"/> wins" (unsafe: y_label − y_other ≤ 0).</summary>
    static InputRegion WithLabel(InputRegion box, int label)
    {
        var c = new double[2];
        c[label] = 1; c[1 - label] = -1;
        return box with { Unsafe = new OutputCondition(new[] { new Conjunction(new[] { new HalfSpace(c, 0) }) }) };
    }

    /// <summary>A float32-exact point of the box: every coordinate within 0.7 of the half-width from the centre, one at 0.3-0.7 (not the centre, not a face or corner, where attacks start or end).</summary>
    static double[] PlantedPoint(Random rng, InputRegion r)
    {
        int n = r.Lower.Length;
        var u = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 1.4 - 0.7).ToArray();
        int far = rng.Next(n);
        u[far] = (rng.Next(2) == 0 ? -1 : 1) * (0.3 + 0.4 * rng.NextDouble());
        return u.Select((v, i) => (double)(float)((r.Lower[i] + r.Upper[i]) / 2 + v * (r.Upper[i] - r.Lower[i]) / 2)).ToArray();
    }

    /// <summary>Writes instances.csv, the manifest, labels.csv and hiding_checks.csv from every model record so far.</summary>
    void WriteIndex(string dir, IReadOnlyList<HiddenModelRecord> models)
    {
        var kept = models.SelectMany(m => m.Boxes).Where(b => b.Vnnlib.Length > 0).ToList();
        BenchmarkInstance.WriteAll(dir, kept.Select(b => new BenchmarkInstance($"onnx/{b.Model}.onnx", b.Vnnlib, options.TimeoutSeconds)));
        BenchmarkManifest.Write(BenchmarkManifest.PathIn(dir), kept.Select(b => new ManifestEntry(b.Vnnlib, $"onnx/{b.Model}.onnx", b.Kind, b.Expected,
            b.Counterexample, b.Kind == BenchmarkManifest.Planted ? b.OrtObjective : double.NaN, _hiding.ToString(), Math.Min(b.Pgd.DefaultIfEmpty(double.PositiveInfinity).Min(), b.Uniform), 0)));
        CsvLines.WriteAll(Path.Combine(dir, BenchmarkManifest.Folder, "labels.csv"), ["vnnlib", "expected"], kept.Select(b => new[] { b.Vnnlib, b.Expected }));
        static string F(double v) => double.IsNaN(v) ? "nan" : v.ToString("G6", CultureInfo.InvariantCulture);
        CsvLines.WriteAll(Path.Combine(dir, BenchmarkManifest.Folder, "hiding_checks.csv"),
            ["model", "family", "box", "kind", "radius", "label", "written", "rejected_by", "train_objective", "ort_objective", "pgd_best", "uniform_best",
             "corner_best", "probe_best", "probe_candidates", "probe_nearest", "expected", "proof"],
            models.SelectMany(m => m.Boxes).Select(b => new[]
            {
                b.Model, b.Family, b.Box.ToString(CultureInfo.InvariantCulture), b.Kind, F(b.Radius), b.Label.ToString(CultureInfo.InvariantCulture), b.Vnnlib,
                b.Rejected, F(b.TrainObjective), F(b.OrtObjective), string.Join(" ", b.Pgd.Select(F)), F(b.Uniform), F(b.Corners), F(b.Probe),
                b.ProbeCandidates.ToString(CultureInfo.InvariantCulture), F(b.ProbeNearest), b.Expected, b.Proof,
            }));
    }
}

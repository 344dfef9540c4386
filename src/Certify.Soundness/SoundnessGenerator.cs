using Certify.Import;
using Certify.Runtime;
using Certify.Spec;
using static TorchSharp.torch;

namespace Certify.Soundness;

/// <summary>Settings of <see cref="SoundnessGenerator"/>.</summary>
/// <param name="Architectures">Architectures to generate (each combined with each activation).</param>
/// <param name="Activations">Activations to generate.</param>
/// <param name="Inputs">Input count of every network (a square for CNNs).</param>
/// <param name="Epsilon">Half-width of every input box (L∞ radius around its centre).</param>
/// <param name="Count">Networks per (architecture, activation); each gives one planted and one control instance.</param>
/// <param name="Seed">Seed of everything random.</param>
/// <param name="TimeoutSeconds">Time limit written to instances.csv.</param>
/// <param name="Hidden">Hidden width of the fully connected layers.</param>
/// <param name="Training">Training settings.</param>
/// <param name="CheckAttack">The strong attack that must miss every planted point (and find nothing in the controls).</param>
/// <param name="ControlProof">Prover settings used to label control instances unsat when the bound engine proves them.</param>
/// <param name="MaxAttempts">Trainings (with fresh seeds) per network before it is reported as failed.</param>
public sealed record GeneratorOptions(
    IReadOnlyList<Architecture> Architectures, IReadOnlyList<Activation> Activations, int Inputs, double Epsilon, int Count,
    long Seed = 0, double TimeoutSeconds = 60, int Hidden = 32, TrainingOptions? Training = null, AttackBudget? CheckAttack = null,
    ProverOptions? ControlProof = null, int MaxAttempts = 4);

/// <summary>One generated network and its two instances, or why generation failed.</summary>
public sealed record GeneratedNetwork(string Name, bool Ok, int Attempts, string Detail, IReadOnlyList<ManifestEntry> Instances);

/// <summary>
/// Generates a soundness benchmark in VNN-COMP layout. Every property says "class 0 wins in the box" (unsafe:
/// <c>y_0 − y_1 ≤ 0</c>). For each network: (1) a small network is trained so that the property holds with a margin
/// everywhere in the planted box (robust training with PGD points from the current network at every step, then
/// attack-and-retrain rounds); (2) a counterexample is planted analytically with a ReLU bump
/// (<see cref="PlantedNetwork.WithBump"/>): a tiny L1 ball around a random point of the box where the margin is
/// lowered below zero, flat (zero gradient) everywhere else, so neither random sampling (the ball is a vanishing fraction
/// of the box) nor gradient attacks (no signal leads into it) find it, while a sound complete verifier must; (3) every
/// instance is checked before it is written: the planted point violates the property when the exported ONNX file runs
/// in ONNX Runtime, and a strong many-restart PGD attack (<see cref="BudgetedAttack"/>) finds no counterexample in
/// either box. A control box elsewhere, attacked the same way, is labelled unsat when the input-split CROWN prover
/// proves it, else unknown.
/// <para>Files: <c>onnx/NAME.onnx</c>, <c>vnnlib/NAME_a.vnnlib</c> and <c>_b</c> (planted and control in random order so
/// the names do not tell), <c>instances.csv</c>, and the private <c>counterexamples/</c> (manifest and planted points).</para>
/// </summary>
public sealed class SoundnessGenerator(GeneratorOptions options)
{
    readonly TrainingOptions _training = options.Training ?? new TrainingOptions();
    readonly AttackBudget _attack = options.CheckAttack ?? new AttackBudget();
    readonly System.Diagnostics.Stopwatch _clock = new();

    /// <summary>Receives one line per generation stage (training, checks, proof) with elapsed seconds; null is silent.</summary>
    public Action<string>? Log { get; init; }

    void Note(string name, int attempt, string what) => Log?.Invoke($"[{_clock.Elapsed.TotalSeconds,6:F1}s] {name} #{attempt}: {what}");

    readonly ProverOptions _proof = options.ControlProof ?? new ProverOptions(MaxBoxes: 4000, TimeoutSeconds: 30);

    /// <summary>Generates everything into <paramref name="dir"/>; <paramref name="progress"/> hears each network as it finishes.</summary>
    public IReadOnlyList<GeneratedNetwork> Generate(string dir, Action<GeneratedNetwork>? progress = null)
    {
        _clock.Restart();
        // The networks are tiny: one thread avoids the scheduling overhead that dominates on a shared machine.
        int threads = get_num_threads();
        set_num_threads(1);
        try { return GenerateAll(dir, progress); }
        finally { set_num_threads(threads); }
    }

    IReadOnlyList<GeneratedNetwork> GenerateAll(string dir, Action<GeneratedNetwork>? progress)
    {
        if (options.Count < 1) throw new ArgumentException("--count must be at least 1");
        if (!(options.Epsilon > 0 && options.Epsilon < 0.5)) throw new ArgumentException($"--eps must be in (0, 0.5), got {options.Epsilon}");
        foreach (var sub in new[] { "onnx", "vnnlib", BenchmarkManifest.Folder }) Directory.CreateDirectory(Path.Combine(dir, sub));
        var results = new List<GeneratedNetwork>();
        var rng = new Random((int)options.Seed);
        foreach (var arch in options.Architectures)
            foreach (var act in options.Activations)
                for (int k = 0; k < options.Count; k++)
                {
                    var name = $"{arch.ToString().ToLowerInvariant()}_{act.ToString().ToLowerInvariant()}_{k}";
                    var net = GenerateOne(dir, name, arch, act, rng);
                    results.Add(net);
                    progress?.Invoke(net);
                }
        var entries = results.SelectMany(r => r.Instances).ToList();
        BenchmarkManifest.Write(BenchmarkManifest.PathIn(dir), entries);
        BenchmarkInstance.WriteAll(dir, entries.Select(e => new BenchmarkInstance(e.Onnx, e.Vnnlib, options.TimeoutSeconds)));
        return results;
    }

    GeneratedNetwork GenerateOne(string dir, string name, Architecture arch, Activation act, Random rng)
    {
        int n = options.Inputs;
        double eps = options.Epsilon;
        double radius = _training.BumpRadius * eps;
        string why = "";
        for (int attempt = 1; attempt <= options.MaxAttempts; attempt++)
        {
            long seed = rng.NextInt64(1, int.MaxValue);
            manual_seed(seed);
            var planted = Box(rng, n, eps, null, 0);
            var centre = planted.Lower.Zip(planted.Upper, (l, h) => (l + h) / 2).ToArray();
            // The planted point: a random point of the box, not its centre and not a face or corner (where attacks like to
            // start or end), with its whole bump inside the box; float32-exact so ONNX Runtime sees the same point.
            var u = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 1.2 - 0.6).ToArray();
            int far = rng.Next(n);
            u[far] = Math.Sign(u[far] == 0 ? 1 : u[far]) * (0.3 + 0.3 * rng.NextDouble());
            var point = u.Select((v, i) => (double)(float)(centre[i] + v * eps)).ToArray();

            // 1. A network on which the property holds with a margin everywhere in the box: robust training, then
            //    attack-and-retrain rounds that add what the strong attack still finds as training points.
            using var net = PlantedNetwork.Create(arch, act, n, options.Hidden, inputScale: 1 / (2 * eps));
            net.CenterAt(centre, 0.1);
            var found = new List<double[]>();
            AttackReport safeCheck = null!;
            for (int round = 0; round <= HardeningRounds; round++)
            {
                double loss = PlantingTrainer.Train(net, planted, _training, seed + round, found, Log is null ? null : m => Note(name, attempt, m),
                    steps: round == 0 ? _training.Steps : _training.Steps / 3);
                safeCheck = BudgetedAttack.Run(net.Detached(), planted, _attack, seed + 100 + round);
                Note(name, attempt, $"round {round}: trained (loss {loss:G3}), attack best objective {safeCheck.BestObjective:G3}");
                if (safeCheck.BestObjective >= _training.Margin / 4) break;
                found.Add(safeCheck.X);
            }
            if (!(safeCheck.BestObjective >= _training.Margin / 4))
            { why = $"training did not make the box safe (attack reached objective {safeCheck.BestObjective:G3})"; Note(name, attempt, why); continue; }

            // 2. Plant the counterexample: a ReLU bump at the point lowers y_0 − y_1 there by its value plus the margin.
            var safeGraph = net.Detached();
            double atPoint = ObjectiveOf(planted, Evaluate(safeGraph, point));
            var graph = PlantedNetwork.WithBump(safeGraph, point, radius, atPoint + _training.Margin);

            // 3. The strong attack must still miss the planted point.
            var atkP = BudgetedAttack.Run(graph, planted, _attack, seed + 150);
            Note(name, attempt, $"planted box attacked: best objective {atkP.BestObjective:G3}");
            if (atkP.Found) { why = $"attack found a counterexample in the planted box (objective {atkP.BestObjective:G3})"; continue; }

            var onnxRel = $"onnx/{name}.onnx";
            var onnxPath = Path.Combine(dir, onnxRel);
            OnnxExporter.Export(graph, onnxPath);
            using var ort = new OnnxRuntimeModel(onnxPath);
            // The planted point violates in ONNX Runtime by a clear margin.
            var yPoint = ort.Run(point);
            double plantedObj = ObjectiveOf(planted, yPoint);
            if (!(plantedObj <= -_training.Margin / 4)) { why = $"planted point not violated clearly in ONNX Runtime (objective {plantedObj:G3})"; Note(name, attempt, why); continue; }

            // The control: a box elsewhere, the property "the class predicted at its centre wins", attacked like the
            // planted box; labelled unsat when the input-split CROWN prover proves it, else unknown.
            InputRegion? control = null;
            AttackReport? atkC = null;
            ProverResult? proof = null;
            for (int t = 0; t < 12; t++)
            {
                var box = Box(rng, n, eps, planted, 0);
                var yc = ort.Run(box.Lower.Zip(box.Upper, (l, h) => (l + h) / 2).ToArray());
                var candidate = Box(box, yc[0] >= yc[1] ? 0 : 1);
                var atk = BudgetedAttack.Run(graph, candidate, _attack, seed + 200 + t);
                if (atk.Found) continue;
                var pr = InputSplitProver.Verify(graph, new Specification(new[] { candidate }, n, 2), _proof, ort.Run);
                if (pr.Status == ResultStatus.Sat) continue;
                (control, atkC, proof) = (candidate, atk, pr);
                if (pr.Status == ResultStatus.Unsat) break;
            }
            if (control is null) { why = "no control box without counterexamples was found"; continue; }
            var spec = new Specification(new[] { control }, n, 2);
            string controlExpected = proof!.Status == ResultStatus.Unsat ? "unsat" : "unknown";
            Note(name, attempt, $"control proof: {ResultFile.Word(proof.Status)} after {proof.Boxes} boxes");

            bool plantedFirst = rng.Next(2) == 0;
            string vPlanted = $"vnnlib/{name}_{(plantedFirst ? "a" : "b")}.vnnlib", vControl = $"vnnlib/{name}_{(plantedFirst ? "b" : "a")}.vnnlib";
            VnnLibWriter.Write(new Specification(new[] { planted }, n, 2, $"{name}"), Path.Combine(dir, vPlanted));
            VnnLibWriter.Write(spec with { Source = name }, Path.Combine(dir, vControl));
            var cexRel = $"{BenchmarkManifest.Folder}/{Path.GetFileNameWithoutExtension(vPlanted)}.counterexample";
            ResultFile.Write(Path.Combine(dir, cexRel), ResultStatus.Sat, point, yPoint);
            var entries = new List<ManifestEntry>
            {
                new(vPlanted, onnxRel, BenchmarkManifest.Planted, "sat", cexRel, plantedObj, _attack.ToString(), atkP.BestObjective, 0),
                new(vControl, onnxRel, BenchmarkManifest.Control, controlExpected, "", double.NaN, _attack.ToString(), atkC!.BestObjective, proof.Boxes),
            };
            if (!plantedFirst) entries.Reverse();
            var detail = $"planted objective {plantedObj:F3} (ORT), attack best {atkP.BestObjective:F3} / control {atkC!.BestObjective:F3}, control {controlExpected} ({proof.Boxes} boxes)";
            return new GeneratedNetwork(name, true, attempt, detail, entries);
        }
        File.Delete(Path.Combine(dir, $"onnx/{name}.onnx"));
        return new GeneratedNetwork(name, false, options.MaxAttempts, why, Array.Empty<ManifestEntry>());
    }

    /// <summary>Attack-and-retrain rounds after the main training.</summary>
    const int HardeningRounds = 3;

    /// <summary><paramref name="box"/>'s input bounds with the property "class <paramref name="label"/> wins" (unsafe: y_label − y_other ≤ 0).</summary>
    static InputRegion Box(InputRegion box, int label)
    {
        var c = new double[2];
        c[label] = 1; c[1 - label] = -1;
        return box with { Unsafe = new OutputCondition(new[] { new Conjunction(new[] { new HalfSpace(c, 0) }) }) };
    }

    /// <summary>A box of half-width <paramref name="eps"/> inside [0, 1]ⁿ with the property "class <paramref name="label"/> wins", not overlapping <paramref name="avoid"/>.</summary>
    static InputRegion Box(Random rng, int n, double eps, InputRegion? avoid, int label)
    {
        while (true)
        {
            var c = Enumerable.Range(0, n).Select(_ => (double)(float)(eps + rng.NextDouble() * (1 - 2 * eps))).ToArray();
            if (avoid is not null)
            {
                double dist = c.Select((v, i) => Math.Abs(v - (avoid.Lower[i] + avoid.Upper[i]) / 2)).Max();
                if (dist < 2.5 * eps) continue;
            }
            var region = new InputRegion(c.Select(v => v - eps).ToArray(), c.Select(v => v + eps).ToArray(), new OutputCondition(Array.Empty<Conjunction>()));
            return Box(region, label);
        }
    }

    static double[] Evaluate(Graph.ComputationGraph g, double[] x)
    {
        using var scope = NewDisposeScope();
        return g.Forward(tensor(x, dtype: ScalarType.Float32).unsqueeze(0)).flatten().to_type(ScalarType.Float64).data<double>().ToArray();
    }

    static double ObjectiveOf(InputRegion region, double[] y) =>
        region.Unsafe.Disjuncts.Min(d => d.Rows.Max(r => r.Evaluate(y) - r.D));
}

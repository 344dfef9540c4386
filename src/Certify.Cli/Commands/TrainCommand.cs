using System.CommandLine;
using System.Globalization;
using Certify.Training.Data;
using Certify.Training.Models;
using Certify.Training.Training;
using Spectre.Console;

namespace Certify.Cli.Commands;

/// <summary>
/// <c>certify train --data mnist --model fc|cnn-small|cnn7 --method standard|pgd|ibp|crown-ibp|sabr --eps 0.1</c>:
/// trains a network (see <see cref="Trainer"/>), shows a progress bar with loss, clean and IBP-certified accuracy per
/// epoch, writes a checkpoint after every epoch and exports the final model to ONNX.
/// Exit codes: 0 trained and exported; 2 bad input (an option, an unwritable --out or a disk that fills up, MNIST
/// unavailable); 3 an exported model that disagrees with ONNX Runtime (a bug in the exporter, not the user's input).
/// </summary>
public sealed class TrainCommand : ICliCommand
{
    public Command Build()
    {
        var data = new Option<string>("--data") { Description = "data set: mnist", DefaultValueFactory = _ => "mnist" };
        var model = new Option<string>("--model") { Description = "architecture: " + string.Join(", ", ModelZoo.Names), DefaultValueFactory = _ => "cnn-small" };
        var method = new Option<string>("--method") { Description = "standard, pgd, ibp, crown-ibp or sabr", DefaultValueFactory = _ => "crown-ibp" }.OneOf("standard", "pgd", "ibp", "crown-ibp", "sabr");
        var eps = new Option<double>("--eps") { Description = "L-infinity radius (pixel units, pixels in [0,1]) to certify", DefaultValueFactory = _ => 0.1 }.InRange(0, 1);
        var epsTrain = new Option<double?>("--eps-train") { Description = "radius trained at after the ramp (default: --eps)" }.InRange(0, 1);
        var epochs = new Option<int>("--epochs") { Description = "number of epochs", DefaultValueFactory = _ => 20 }.AtLeast(1);
        var batch = new Option<int>("--batch-size") { Description = "images per optimiser step", DefaultValueFactory = _ => 100 }.AtLeast(1);
        var lr = new Option<double>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => 1e-3 }.Positive();
        var warmup = new Option<int>("--warmup-epochs") { Description = "clean epochs before the epsilon ramp", DefaultValueFactory = _ => 1 }.AtLeast(0);
        var ramp = new Option<int?>("--ramp-epochs") { Description = "epochs of the epsilon/kappa/beta ramp (default: 40% of --epochs)" }.AtLeast(0);
        var kappa = new Option<double?>("--kappa-end") { Description = "final weight of the clean loss, in [0, 1] (default 0.5 for ibp, 0 for pgd, crown-ibp and sabr: the robust or adversarial loss alone)" }.InRange(0, 1);
        var lambda = new Option<double>("--sabr-lambda") { Description = "SABR's small-box factor, in (0, 1]", DefaultValueFactory = _ => 0.4 }.InRange(1e-9, 1);
        var maxBatches = new Option<int?>("--max-batches") { Description = "stop each epoch after this many batches (smoke runs)" }.AtLeast(1);
        var evalSamples = new Option<int?>("--eval-samples") { Description = "test images for the per-epoch evaluation (default: all 2,000)" }.AtLeast(1);
        var seed = new Option<long>("--seed") { Description = "random seed", DefaultValueFactory = _ => 0 }.AnyInteger();
        var outPath = new Option<string>("--out") { Description = "ONNX file to write (a checkpoint goes beside it as .ckpt)", DefaultValueFactory = _ => "model.onnx" };
        var cache = new Option<string?>("--cache") { Description = "MNIST cache folder (default: .cache/mnist in the repository)" };
        var cmd = new Command("train", "Train a network that Certify can prove robust (certified training on MNIST).")
        {
            data, model, method, eps, epsTrain, epochs, batch, lr, warmup, ramp, kappa, lambda, maxBatches, evalSamples, seed, outPath, cache,
        };
        cmd.SetAction(r =>
        {
            if (r.GetValue(data) is not "mnist") throw new CliException($"--data {r.GetValue(data)}: supported: mnist");
            var modelName = r.GetValue(model)!;
            if (!ModelZoo.Names.Contains(modelName)) throw new CliException($"--model {modelName}: supported: {string.Join(", ", ModelZoo.Names)}");
            TrainingMethod m;
            try { m = TrainingOptions.ParseMethod(r.GetValue(method)!); } catch (ArgumentException e) { throw new CliException(e.Message); }
            var options = new TrainingOptions
            {
                Model = modelName, Method = m, Eps = r.GetValue(eps), EpsTrain = r.GetValue(epsTrain),
                Epochs = r.GetValue(epochs), BatchSize = r.GetValue(batch),
                LearningRate = r.GetValue(lr), WarmupEpochs = r.GetValue(warmup), RampEpochs = r.GetValue(ramp),
                KappaEnd = r.GetValue(kappa), SabrLambda = r.GetValue(lambda), MaxBatchesPerEpoch = r.GetValue(maxBatches),
                EvalSamples = r.GetValue(evalSamples), Seed = r.GetValue(seed),
            };
            // Both files are checked before hours of training: a run that cannot write its model has lost them.
            var onnxPath = r.GetValue(outPath)!;
            OutputFiles.Check(onnxPath, "--out");
            OutputFiles.Check(Path.ChangeExtension(onnxPath, ".ckpt"), "--out (its checkpoint)");
            return Run(options, onnxPath, r.GetValue(cache));
        });
        return cmd;
    }

    static int Run(TrainingOptions o, string outPath, string? cache)
    {
        MnistDataset all;
        try { all = MnistDataset.LoadOrFetch(cache, Console.Error.WriteLine); }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException) { throw new CliException(e.Message); }
        var (train, test) = all.Split();
        using var net = ModelZoo.Create(o.Model, o.EffectiveInit, o.Seed);
        var ckpt = Path.ChangeExtension(outPath, ".ckpt");
        bool interactive = AnsiConsole.Profile.Capabilities.Interactive;
        // Logs (not a terminal) get plain lines: no colour codes, no wrapping at 80 columns.
        void Line(string markup) { if (interactive) AnsiConsole.MarkupLine(markup); else Console.WriteLine(Markup.Remove(markup)); }
        Line($"[bold]train[/] {ModelZoo.Describe(o.Model)} ({net.ParameterCount:N0} parameters), method {TrainingOptions.MethodName(o.Method)}, " +
            $"eps {F(o.Eps)} (train {F(o.FinalTrainEps)}), {o.Epochs} epochs, batch {o.BatchSize}, {train.Count} train / {test.Count} test digits, " +
            $"init {o.EffectiveInit}, torch threads {TorchSharp.torch.get_num_threads()}");
        IReadOnlyList<EpochSummary> summaries = [];
        void PrintEpoch(EpochSummary s) => Line(
            $"epoch {s.Epoch,3}/{o.Epochs}  loss {s.TrainLoss,7:F4}  train acc {P(s.TrainAccuracy)}  [green]clean {P(s.CleanAccuracy)}[/]  " +
            $"[blue]IBP-certified@{F(o.Eps)} {P(s.IbpCertifiedAccuracy)}[/]  eps {F(s.Schedule.Eps)} kappa {s.Schedule.Kappa:F2}" +
            (o.Method == TrainingMethod.CrownIbp ? $" beta {s.Schedule.Beta:F2}" : "") + $"  lr {s.LearningRate:G3}  wall {s.Elapsed:hh\\:mm\\:ss} cpu {s.CpuTime:hh\\:mm\\:ss}");
        if (interactive)
        {
            ForegroundProgress.Create().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("training", maxValue: o.Epochs);
                    var refresh = new ForegroundProgress.Refresher(ctx);
                    var trainer = new Trainer(o)
                    {
                        OnBatch = p =>
                        {
                            task.Value = p.Epoch - 1 + (double)p.Batch / p.Batches;
                            task.Description = $"epoch {p.Epoch} batch {p.Batch}/{p.Batches} loss {p.Loss:F4} acc {P(p.TrainAccuracy)} eps {F(p.Schedule.Eps)}";
                            refresh.Tick();
                        },
                        OnEpoch = (s, n) => { PrintEpoch(s); OutputFiles.Write(ckpt, "--out (its checkpoint)", () => Checkpoint.Save(n, s.Epoch, ckpt)); },
                    };
                    summaries = trainer.Train(net, train, test);
                });
        }
        else
        {
            var trainer = new Trainer(o)
            {
                OnBatch = p => { if (p.Batch % 20 == 0) Console.WriteLine($"  epoch {p.Epoch} batch {p.Batch}/{p.Batches} loss {p.Loss:F4} acc {P(p.TrainAccuracy)} eps {F(p.Schedule.Eps)}"); },
                OnEpoch = (s, n) => { PrintEpoch(s); OutputFiles.Write(ckpt, "--out (its checkpoint)", () => Checkpoint.Save(n, s.Epoch, ckpt)); },
            };
            summaries = trainer.Train(net, train, test);
        }
        Line($"checkpoint: {Markup.Escape(ckpt)}");
        Certify.Runtime.AgreementResult agreement = null!;
        OutputFiles.Write(outPath, "--out", () => agreement = ModelExport.Export(net, outPath));
        Line($"ONNX model: {Markup.Escape(outPath)} (re-imported and run in ONNX Runtime on {agreement.Samples} images: max |difference| {agreement.MaxAbsoluteError:G3})");
        if (agreement.MaxScaledError > 1e-4)
            throw new InvalidOperationException($"{outPath}: the exported model disagrees with ONNX Runtime (scaled error {agreement.MaxScaledError:G3}); please report this");
        return 0;
    }

    static string P(double f) => (100 * f).ToString("F2", CultureInfo.InvariantCulture) + "%";
    static string F(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);
}

using System.Diagnostics;
using Certify.Training.Data;
using Certify.Training.Evaluation;
using Certify.Training.Models;
using Certify.Training.Robustness;
using static TorchSharp.torch;

namespace Certify.Training.Training;

/// <summary>Progress after one optimiser step.</summary>
public sealed record BatchProgress(int Epoch, int Batch, int Batches, double Loss, double TrainAccuracy, ScheduleState Schedule);

/// <summary>What one epoch achieved; accuracies on the evaluation images at the target ε. <see cref="CpuTime"/> is the process's CPU time since training started (all threads).</summary>
public sealed record EpochSummary(int Epoch, double TrainLoss, double TrainAccuracy, double CleanAccuracy,
    double IbpCertifiedAccuracy, ScheduleState Schedule, double LearningRate, TimeSpan Elapsed, TimeSpan CpuTime);

/// <summary>
/// Trains a <see cref="TrainableNetwork"/> with Adam on MNIST for the objective in <see cref="TrainingOptions"/>, with
/// ε, κ and β schedules counted in optimiser steps: <see cref="TrainingOptions.WarmupEpochs"/> of clean training, then
/// a ramp of ε from 0 to the training ε (κ from 1 to its end value, β from 1 to 0), then constant values. After each
/// epoch it reports clean and IBP-certified accuracy on the evaluation set and calls the checkpoint hook.
/// </summary>
public sealed class Trainer(TrainingOptions options)
{
    /// <summary>Called after every optimiser step.</summary>
    public Action<BatchProgress>? OnBatch { get; init; }

    /// <summary>Called after every epoch (e.g. to print a line and write a checkpoint).</summary>
    public Action<EpochSummary, TrainableNetwork>? OnEpoch { get; init; }

    /// <summary>Steps per epoch for <paramref name="trainCount"/> images.</summary>
    public int StepsPerEpoch(int trainCount)
    {
        int full = (trainCount + options.BatchSize - 1) / options.BatchSize;
        return options.MaxBatchesPerEpoch is { } m ? Math.Min(m, full) : full;
    }

    /// <summary>The ε, κ and β schedules for <paramref name="stepsPerEpoch"/> steps per epoch.</summary>
    public (RampSchedule Eps, RampSchedule Kappa, RampSchedule Beta) Schedules(int stepsPerEpoch)
    {
        long hold = (long)options.WarmupEpochs * stepsPerEpoch;
        int rampEpochs = options.RampEpochs ?? Math.Max(1, (int)Math.Round(0.4 * options.Epochs));
        long ramp = (long)rampEpochs * stepsPerEpoch;
        var eps = new RampSchedule(0, options.FinalTrainEps, hold, ramp, options.RampShape);
        var kappa = new RampSchedule(1, options.FinalKappa, hold, ramp);
        var beta = new RampSchedule(1, 0, hold, ramp);
        return (eps, kappa, beta);
    }

    /// <summary>Trains <paramref name="net"/> in place on <paramref name="train"/>, evaluating on <paramref name="eval"/> after each epoch.</summary>
    public IReadOnlyList<EpochSummary> Train(TrainableNetwork net, MnistDataset train, MnistDataset eval)
    {
        manual_seed(options.Seed);
        var rng = new Random((int)options.Seed);
        int steps = StepsPerEpoch(train.Count);
        var (epsS, kappaS, betaS) = Schedules(steps);
        var loss = new RobustLoss(options);
        var optimizer = optim.Adam(net.Parameters, options.LearningRate);
        var decayAt = options.LrDecayEpochs ?? [(int)Math.Round(0.75 * options.Epochs), (int)Math.Round(0.9 * options.Epochs)];
        var evalSet = options.EvalSamples is { } k ? eval.Take(k) : eval;
        var summaries = new List<EpochSummary>();
        var clock = Stopwatch.StartNew();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        double lr = options.LearningRate;
        long step = 0;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var order = Enumerable.Range(0, train.Count).OrderBy(_ => rng.Next()).ToArray();
            double lossSum = 0, correct = 0, seen = 0;
            ScheduleState s = default;
            for (int b = 0; b < steps; b++, step++)
            {
                using var scope = NewDisposeScope();
                var idx = order.Skip(b * options.BatchSize).Take(options.BatchSize).ToArray();
                var (x, y) = train.Subset(idx).ToTensors();
                s = new ScheduleState(epsS.At(step), kappaS.At(step), betaS.At(step));
                optimizer.zero_grad();
                var (l, logits) = loss.Compute(net, x, y, s);
                l.backward();
                if (options.GradClip > 0) nn.utils.clip_grad_norm_(net.Parameters, options.GradClip);
                optimizer.step();
                double lv = l.item<float>();
                if (!double.IsFinite(lv))
                    throw new InvalidOperationException($"training diverged at epoch {epoch}, batch {b + 1}: loss is {lv} (try a smaller --lr)");
                lossSum += lv * idx.Length;
                correct += logits.argmax(1).eq(y).sum().item<long>();
                seen += idx.Length;
                OnBatch?.Invoke(new BatchProgress(epoch, b + 1, steps, lossSum / seen, correct / seen, s));
            }
            if (decayAt.Contains(epoch))
            {
                lr *= options.LrDecayFactor;
                foreach (var g in optimizer.ParamGroups) g.LearningRate = lr;
            }
            double clean, cert;
            using (no_grad())
            {
                clean = RobustnessEvaluator.CleanAccuracy(net.Graph, evalSet);
                cert = RobustnessEvaluator.CertifiedAccuracy(net.Graph, evalSet, options.Eps, BoundMethod.Ibp);
            }
            var summary = new EpochSummary(epoch, lossSum / seen, correct / seen, clean, cert, s, lr, clock.Elapsed,
                Process.GetCurrentProcess().TotalProcessorTime - cpu0);
            summaries.Add(summary);
            OnEpoch?.Invoke(summary, net);
        }
        return summaries;
    }
}

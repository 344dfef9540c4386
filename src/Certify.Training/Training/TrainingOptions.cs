using Certify.Training.Models;

namespace Certify.Training.Training;

/// <summary>The training objective.</summary>
public enum TrainingMethod
{
    /// <summary>Cross-entropy on clean inputs.</summary>
    Standard,
    /// <summary>Cross-entropy on PGD adversarial examples (Madry et al. 2018).</summary>
    Pgd,
    /// <summary>κ·CE(clean) + (1−κ)·CE(IBP worst case) (Gowal et al. 2018).</summary>
    Ibp,
    /// <summary>Like IBP with the worst case from β·CROWN-IBP + (1−β)·IBP bounds, β ramped 1 → 0 (Zhang et al. 2020).</summary>
    CrownIbp,
    /// <summary>IBP worst case of a small box (radius λ·ε) around a PGD point of the ε-box (Müller et al. 2023).</summary>
    Sabr,
}

/// <summary>
/// Everything that determines a training run. Epoch-based settings are turned into optimiser steps by
/// <see cref="Trainer"/>. Defaults are the ones tuned for MNIST at ε = 0.1 on two CPU cores (benchmarks/training).
/// </summary>
public sealed record TrainingOptions
{
    public string Model { get; init; } = "cnn-small";
    public TrainingMethod Method { get; init; } = TrainingMethod.CrownIbp;

    /// <summary>The ε (L∞, pixel units) the model should be certified at; used for evaluation.</summary>
    public double Eps { get; init; } = 0.1;

    /// <summary>The ε trained at after the ramp; larger than <see cref="Eps"/> helps certification (Gowal et al. use 0.2 for 0.1). Null: <see cref="Eps"/>.</summary>
    public double? EpsTrain { get; init; }

    public int Epochs { get; init; } = 20;
    public int BatchSize { get; init; } = 100;
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Epochs (1-based) after which the learning rate is multiplied by <see cref="LrDecayFactor"/>; null: after 75% and 90% of the epochs.</summary>
    public int[]? LrDecayEpochs { get; init; }
    public double LrDecayFactor { get; init; } = 0.2;

    /// <summary>Epochs of clean training (ε = 0, κ = 1) before the ramp.</summary>
    public int WarmupEpochs { get; init; } = 1;

    /// <summary>Epochs over which ε goes from 0 to its final value (κ and β ramp alongside). Null: 40% of the epochs.</summary>
    public int? RampEpochs { get; init; }
    public RampShape RampShape { get; init; } = RampShape.Smooth;

    /// <summary>
    /// Final weight of the clean loss; null: 0.5 for IBP (Gowal et al.), 0 for CROWN-IBP and SABR (Zhang et al.), 0 for PGD
    /// (Madry et al. train on the adversarial loss alone). PGD once defaulted to 1, which gave the adversarial term weight
    /// 0: standard training bit for bit at four times the CPU.
    /// </summary>
    public double? KappaEnd { get; init; }

    /// <summary>SABR's box shrinking factor λ (the propagated box has radius λ·ε).</summary>
    public double SabrLambda { get; init; } = 0.4;

    /// <summary>PGD steps for PGD training and for SABR's centres.</summary>
    public int PgdTrainSteps { get; init; } = 8;

    /// <summary>Gradient L2-norm clipping (10 as in CROWN-IBP).</summary>
    public double GradClip { get; init; } = 10;

    public InitScheme? Init { get; init; }
    public long Seed { get; init; } = 0;

    /// <summary>Stop after this many batches per epoch (tests and smoke runs); null: whole epoch.</summary>
    public int? MaxBatchesPerEpoch { get; init; }

    /// <summary>Test images used for the per-epoch clean/IBP-certified accuracy; null: all.</summary>
    public int? EvalSamples { get; init; }

    /// <summary>ε trained at after the ramp.</summary>
    public double FinalTrainEps => Method is TrainingMethod.Standard ? 0 : EpsTrain ?? Eps;

    /// <summary>The κ the schedule ends at.</summary>
    public double FinalKappa => KappaEnd ?? Method switch
    {
        TrainingMethod.Ibp => 0.5,
        TrainingMethod.CrownIbp or TrainingMethod.Sabr or TrainingMethod.Pgd => 0.0,
        _ => 1.0,                                   // standard training: the clean loss is all there is
    };

    /// <summary>Initialisation: IBP-init for certified methods, Kaiming otherwise, unless set.</summary>
    public InitScheme EffectiveInit => Init ?? (Method is TrainingMethod.Ibp or TrainingMethod.CrownIbp or TrainingMethod.Sabr ? InitScheme.Ibp : InitScheme.Kaiming);

    /// <summary>Parses a method name as used on the command line (standard, pgd, ibp, crown-ibp, sabr).</summary>
    public static TrainingMethod ParseMethod(string s) => s.ToLowerInvariant() switch
    {
        "standard" => TrainingMethod.Standard,
        "pgd" => TrainingMethod.Pgd,
        "ibp" => TrainingMethod.Ibp,
        "crown-ibp" or "crownibp" => TrainingMethod.CrownIbp,
        "sabr" => TrainingMethod.Sabr,
        _ => throw new ArgumentException($"unknown training method '{s}'; supported: standard, pgd, ibp, crown-ibp, sabr"),
    };

    /// <summary>The command-line name of <paramref name="m"/>.</summary>
    public static string MethodName(TrainingMethod m) => m switch
    {
        TrainingMethod.CrownIbp => "crown-ibp",
        _ => m.ToString().ToLowerInvariant(),
    };
}

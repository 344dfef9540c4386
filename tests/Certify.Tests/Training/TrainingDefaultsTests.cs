using Certify.Training.Models;
using Certify.Training.Training;

namespace Certify.Tests.Training;

/// <summary>The defaults of each training method train what the method's name promises.</summary>
public sealed class TrainingDefaultsTests
{
    [Theory]
    [InlineData(TrainingMethod.Standard, 1.0)]
    [InlineData(TrainingMethod.Pgd, 0.0)]
    [InlineData(TrainingMethod.Ibp, 0.5)]
    [InlineData(TrainingMethod.CrownIbp, 0.0)]
    [InlineData(TrainingMethod.Sabr, 0.0)]
    public void The_clean_loss_weight_after_the_ramp_defaults_to_the_methods_own(TrainingMethod method, double kappa)
    {
        var o = new TrainingOptions { Method = method, Epochs = 10, WarmupEpochs = 1, RampEpochs = 4 };
        Assert.Equal(kappa, o.FinalKappa);
        var (_, kappaSchedule, _) = new Trainer(o).Schedules(stepsPerEpoch: 10);
        Assert.Equal(kappa, kappaSchedule.At(100), 12);
    }

    /// <summary>
    /// PGD training with the default options, after the ramp: the loss is the adversarial one, not the clean one. With the
    /// old default (clean weight 1) the two were equal bit for bit, so <c>train --method pgd</c> was standard training.
    /// </summary>
    [SkippableFact]
    public void Pgd_training_with_default_options_trains_on_the_adversarial_loss()
    {
        var (train, _) = TrainingTestData.RequireSplit();
        var o = new TrainingOptions { Model = "fc", Method = TrainingMethod.Pgd, Eps = 0.1, Epochs = 10, Seed = 1, PgdTrainSteps = 3 };
        using var net = ModelZoo.Create(o.Model, o.EffectiveInit, o.Seed);
        var (eps, kappa, beta) = new Trainer(o).Schedules(stepsPerEpoch: 10);
        var after = new ScheduleState(eps.At(1000), kappa.At(1000), beta.At(1000));
        Assert.Equal(0.1, after.Eps, 12);
        var (x, y) = train.Take(50).ToTensors();
        double pgd = new RobustLoss(o).Compute(net, x, y, after).Loss.item<float>();
        double clean = new RobustLoss(o with { Method = TrainingMethod.Standard }).Compute(net, x, y, after).Loss.item<float>();
        Assert.True(pgd > clean + 1e-3, $"PGD loss {pgd:F5} should exceed the clean loss {clean:F5}: the adversarial term must count");
    }
}

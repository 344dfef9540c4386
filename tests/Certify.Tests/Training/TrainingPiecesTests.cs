using Certify.Training.Models;
using Certify.Training.Robustness;
using Certify.Training.Training;
using static TorchSharp.torch;

namespace Certify.Tests.Training;

/// <summary>Schedules, the margin specification, the worst-case loss, PGD, the model zoo and checkpoints.</summary>
public sealed class TrainingPiecesTests
{
    [Fact]
    public void LinearRampHoldsRampsAndStays()
    {
        var s = new RampSchedule(0, 0.2, HoldSteps: 10, RampSteps: 20);
        Assert.Equal(0, s.At(0));
        Assert.Equal(0, s.At(9));
        Assert.Equal(0.1, s.At(20), 12);
        Assert.Equal(0.2, s.At(30));
        Assert.Equal(0.2, s.At(1000));
        var k = new RampSchedule(1, 0.5, 0, 10);
        Assert.Equal(0.75, k.At(5), 12);
    }

    [Fact]
    public void SmoothRampIsMonotoneContinuousAndStartsSlowly()
    {
        var s = new RampSchedule(0, 1, 0, 1000, RampShape.Smooth);
        double prev = -1;
        for (int i = 0; i <= 1000; i++)
        {
            double v = s.At(i);
            Assert.True(v >= prev, $"not monotone at {i}");
            Assert.True(v - prev < 0.01 || i == 0, $"jump at {i}");
            prev = v;
        }
        Assert.True(s.At(100) < 0.1 * 0.9, "the smooth ramp should start slower than linear");
        Assert.Equal(1, s.At(1000));
    }

    [Fact]
    public void MarginSpecRowsAreTrueClassMinusEachOther()
    {
        var y = tensor(new long[] { 0, 3, 9 });
        var c = InputBox.MarginSpec(y, 10, ScalarType.Float64);             // [3, 9, 10]
        Assert.Equal(new long[] { 3, 9, 10 }, c.shape);
        var logits = randn(3, 10, dtype: ScalarType.Float64);
        var margins = c.matmul(logits.unsqueeze(2)).squeeze(2);            // [3, 9]
        for (int b = 0; b < 3; b++)
        {
            long label = y[b].item<long>();
            var others = Enumerable.Range(0, 10).Where(j => j != label).ToArray();
            for (int r = 0; r < 9; r++)
                Assert.Equal(logits[b, label].item<double>() - logits[b, others[r]].item<double>(), margins[b, r].item<double>(), 12);
        }
    }

    [Fact]
    public void WorstCaseCrossEntropyEqualsCrossEntropyOfTheMargins()
    {
        // With exact margins (lower = actual), the worst-case loss is the ordinary cross-entropy.
        var logits = randn(4, 10, dtype: ScalarType.Float64);
        var y = tensor(new long[] { 1, 2, 3, 4 });
        var m = InputBox.MarginSpec(y, 10, ScalarType.Float64).matmul(logits.unsqueeze(2)).squeeze(2);
        var worst = InputBox.WorstCaseCrossEntropy(m).item<double>();
        var ce = nn.functional.cross_entropy(logits, y).item<double>();
        Assert.Equal(ce, worst, 10);
        // Looser (smaller) lower bounds can only increase it.
        Assert.True(InputBox.WorstCaseCrossEntropy(m - 0.5).item<double>() > worst);
    }

    [Fact]
    public void InputBoxIsClippedToThePixelDomain()
    {
        var x = tensor(new float[] { 0f, 0.05f, 0.5f, 0.97f }).reshape(1, 4);
        var (lo, hi) = InputBox.Around(x, 0.1);
        Assert.Equal(new[] { 0f, 0f, 0.4f, 0.87f }, lo.data<float>().ToArray(), new FloatNear(1e-6f));
        Assert.Equal(new[] { 0.1f, 0.15f, 0.6f, 1f }, hi.data<float>().ToArray(), new FloatNear(1e-6f));
    }

    [Fact]
    public void PgdStaysInTheBoxAndDoesNotLowerTheLoss()
    {
        using var net = ModelZoo.Create("fc", InitScheme.Kaiming, seed: 3);
        var x = rand(8, 1, 28, 28, generator: new Generator(5));
        var y = tensor(new long[] { 0, 1, 2, 3, 4, 5, 6, 7 });
        var adv = new Pgd(Steps: 5).Attack(net.Forward, x, y, 0.05);
        var (lo, hi) = InputBox.Around(x, 0.05);
        Assert.True((adv >= lo - 1e-6f).all().item<bool>() && (adv <= hi + 1e-6f).all().item<bool>());
        using var _ = no_grad();
        var before = nn.functional.cross_entropy(net.Forward(x), y, reduction: nn.Reduction.None);
        var after = nn.functional.cross_entropy(net.Forward(adv), y, reduction: nn.Reduction.None);
        // Per sample the attack keeps the best point seen; misclassification outranks loss, so compare where both are correct.
        var correctAfter = net.Forward(adv).argmax(1).eq(y);
        Assert.True(((after >= before - 1e-4f) | correctAfter.logical_not()).all().item<bool>());
        Assert.True(after.sum().item<float>() > before.sum().item<float>());
    }

    [Theory]
    [InlineData("fc", 784 * 256 + 256 + 256 * 256 + 256 + 2570)]
    [InlineData("cnn-small", 16 * 16 + 16 + 32 * 16 * 16 + 32 + 1568 * 100 + 100 + 1010)]
    [InlineData("cnn7", -1)]
    public void ZooModelsMapImagesToTenLogitsAndOwnTheirParameters(string name, long expectedParams)
    {
        using var net = ModelZoo.Create(name);
        Assert.Equal(new long[] { 10 }, net.Graph.OutputShape);
        Assert.Equal(new long[] { 1, 28, 28 }, net.Graph.InputShape);
        if (expectedParams > 0) Assert.Equal(expectedParams, net.ParameterCount);
        Assert.Equal(net.ParameterCount, net.Graph.ParameterCount);
        Assert.All(net.Parameters, p => Assert.True(p.requires_grad));
        // The graph holds the very leaves: a gradient of its output reaches them.
        var y = net.Forward(rand(2, 1, 28, 28)).sum();
        y.backward();
        Assert.All(net.Parameters.Where(p => p.dim() > 1), p => Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0));
    }

    [Fact]
    public void IbpInitialisationHasExpectedRowAbsoluteSumTwo()
    {
        using var net = ModelZoo.Create("fc", InitScheme.Ibp, seed: 1);
        var w = net.Parameters[2];                                              // fc2 weight [256, 256]
        double meanRowAbsSum = w.abs().sum(1).mean().item<float>();
        Assert.InRange(meanRowAbsSum, 1.8, 2.2);
    }

    [Fact]
    public void CheckpointRoundTripsTheNetwork()
    {
        using var net = ModelZoo.Create("cnn-small", seed: 7);
        var path = Path.Combine(Path.GetTempPath(), $"certify-ckpt-{Guid.NewGuid():N}.ckpt");
        try
        {
            Checkpoint.Save(net, 4, path);
            var (back, epoch) = Checkpoint.Load(path);
            using (back)
            {
                Assert.Equal(4, epoch);
                Assert.Equal("cnn-small", back.Architecture);
                var x = rand(3, 1, 28, 28);
                using var _ = no_grad();
                Assert.True(net.Forward(x).allclose(back.Forward(x), rtol: 0, atol: 0));
            }
            File.WriteAllText(path, "not a checkpoint");
            var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
            Assert.Contains("not a Certify checkpoint", e.Message);
        }
        finally { File.Delete(path); }
    }

    sealed class FloatNear(float tol) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) <= tol;
        public int GetHashCode(float v) => 0;
    }

    [Fact]
    public void IbpTightnessIsTheRatioOfTheOptimalToTheLayerwiseIntervalRadius()
    {
        // Active ReLUs (bias 10 around x = 0): the local map is y = [1 1]·[[1, 1], [1, −1]]·x = 2·x₀, optimal radius 2ε.
        // Intervals layer by layer: both hidden units get radius 2ε, the output 4ε, so the tightness is exactly 1/2.
        var b = new Certify.Graph.GraphBuilder(new long[] { 2 });
        int h = b.Add(new Certify.Operators.LinearOp(tensor(new double[] { 1, 1, 1, -1 }, new long[] { 2, 2 }), tensor(new double[] { 10, 10 })), "fc1", "test", 0);
        h = b.Add(new Certify.Operators.ReluOp(), "relu", "test", h);
        int y = b.Add(new Certify.Operators.LinearOp(tensor(new double[] { 1, 1 }, new long[] { 1, 2 }), null), "out", "test", h);
        var graph = b.Build(y);
        var x = zeros(1, 2, dtype: ScalarType.Float64);
        Assert.Equal(0.5, Certify.Training.Diagnostics.IbpTightness.AtPoint(graph, x, 0.1), 9);
    }
}

using Certify.Operators;
using Certify.Verification.Proofs;
using static TorchSharp.torch;

namespace Certify.Tests.Certificates;

/// <summary>
/// The claims a certificate carries (<see cref="CertificateRecorder.Claim"/>): each contains the engine's bounds, widened
/// by at least the margin at both ends, and gives the checker's adaptive slope rule (1 where u &gt; −l) the very choice
/// the engine's ReLU rule made on its own float32 bounds (<see cref="ReluRule.Lines"/>, evaluated here by the engine
/// itself), including neurons whose bounds are balanced to the last bits, where any asymmetric rounding would flip it.
/// </summary>
public sealed class ClaimMarginTests
{
    [Theory]
    [InlineData(1, 3e-5)]
    [InlineData(2, 1e-3)]
    [InlineData(3, 0)]
    public void Claims_contain_the_bounds_and_keep_the_engines_slope_choice(int seed, double margin)
    {
        var random = new Random(seed);
        int n = 20_000;
        var lo = new float[n]; var hi = new float[n];
        for (int i = 0; i < n; i++)
        {
            float scale = (float)Math.Pow(10, random.Next(-3, 4));
            float l = -(float)random.NextDouble() * scale;
            // A third balanced up to a few ulps (u ≈ −l), a third far from balance, a third stable either way.
            float u = (i % 3) switch
            {
                0 => BitsAway(-l, random.Next(-4, 5)),
                1 => (float)random.NextDouble() * scale * 10,
                _ => random.Next(2) == 0 ? l - (float)random.NextDouble() : -l * (float)random.NextDouble(),
            };
            if (u < l) (l, u) = (u, l);
            lo[i] = l; hi[i] = u;
        }
        using var scope = NewDisposeScope();
        var engineSlope = ReluRule.Lines(tensor(lo), tensor(hi)).LowerSlope.data<float>().ToArray();
        int balanced = 0;
        for (int i = 0; i < n; i++)
        {
            bool engineOne = engineSlope[i] == 1;
            Assert.Equal(engineOne, CertificateRecorder.EngineTakesSlopeOne(lo[i], hi[i], reluInFloat32: true));
            var (cl, cu) = CertificateRecorder.Claim(lo[i], hi[i], margin, reluInFloat32: true);
            double w = margin * (1 + Math.Abs((double)lo[i]) + Math.Abs((double)hi[i]));
            Assert.True(cl <= lo[i] - w && cu >= hi[i] + w, $"claim [{cl:R}, {cu:R}] does not contain [{lo[i]:R}, {hi[i]:R}] widened by {w:R}");
            if (cl < 0 && cu > 0)
            {
                Assert.True(engineOne == cu > -cl, $"[{lo[i]:R}, {hi[i]:R}]: the engine's slope is {(engineOne ? 1 : 0)}, the claim [{cl:R}, {cu:R}] gives the other");
                if (Math.Abs(hi[i] + lo[i]) <= 4 * MathF.BitIncrement(Math.Abs(lo[i])) - Math.Abs(lo[i])) balanced++;
            }
        }
        Assert.True(balanced > n / 10, $"only {balanced} balanced neurons: the test does not exercise the tie");
    }

    static float BitsAway(float v, int k)
    {
        for (; k > 0; k--) v = MathF.BitIncrement(v);
        for (; k < 0; k++) v = MathF.BitDecrement(v);
        return v;
    }
}

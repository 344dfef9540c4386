using Certify.Spec;

namespace Certify.Tests.Spec;

/// <summary>The local-robustness builder and the VNNLIB writer (round trip through the parser).</summary>
public sealed class RobustnessAndWriterTests
{
    [Fact]
    public void RobustnessBoxIsClampedBallAndUnsafeIsAnyOtherClassWinning()
    {
        var s = RobustnessProperty.Create(new[] { 0.0, 0.5, 1.0, 0.95 }, label: 2, epsilon: 0.1, numClasses: 4);
        var r = Assert.Single(s.Regions);
        Assert.Equal((4, 4), (s.InputSize, s.OutputSize));
        Assert.Equal(0.0, r.Lower[0]);
        Assert.True(r.Upper[0] >= 0.1 && r.Upper[0] <= Math.BitIncrement(0.1));
        Assert.True(r.Lower[1] <= 0.4 && r.Lower[1] >= Math.BitDecrement(0.4));
        Assert.Equal(1.0, r.Upper[2]);
        Assert.Equal(1.0, r.Upper[3]);
        // The ball around each coordinate always contains the real-number interval x ± eps.
        for (int i = 0; i < 4; i++)
        {
            var x = new[] { 0.0, 0.5, 1.0, 0.95 }[i];
            Assert.True((decimal)r.Lower[i] <= Math.Max(0m, (decimal)x - 0.1m) && (decimal)r.Upper[i] >= Math.Min(1m, (decimal)x + (decimal)0.1));
        }
        Assert.Equal(3, r.Unsafe.Disjuncts.Count);
        var rows = r.Unsafe.Rows.ToList();
        Assert.Equal(new[] { 0, 1, 2 }, rows.Select(t => t.Clause));
        Assert.Equal(new[] { -1.0, 0, 1, 0 }, rows[0].Row.C);
        Assert.Equal(new[] { 0.0, -1, 1, 0 }, rows[1].Row.C);
        Assert.Equal(new[] { 0.0, 0, 1, -1 }, rows[2].Row.C);
        Assert.All(rows, t => Assert.Equal(0, t.Row.D));
        // Label 2 winning clearly is safe; a tie with class 0 is a violation.
        var x0 = new[] { 0.05, 0.5, 1.0, 0.95 };
        Assert.False(s.IsCounterexample(x0, new[] { 1.0, 0, 2, 1 }));
        Assert.True(s.IsCounterexample(x0, new[] { 2.0, 0, 2, 1 }));
        Assert.False(s.IsCounterexample(new[] { 0.3, 0.5, 1.0, 0.95 }, new[] { 5.0, 0, 2, 1 }));
    }

    [Fact]
    public void RobustnessRejectsBadArguments()
    {
        Assert.Throws<ArgumentException>(() => RobustnessProperty.Create(new[] { 0.5 }, 3, 0.1, 3));
        Assert.Throws<ArgumentException>(() => RobustnessProperty.Create(new[] { 0.5 }, 0, -0.1, 3));
        Assert.Throws<ArgumentException>(() => RobustnessProperty.Create(new[] { 0.5 }, 0, 0.1, 1));
        Assert.Throws<ArgumentException>(() => RobustnessProperty.Create(new[] { double.NaN }, 0, 0.1, 2));
        Assert.Throws<ArgumentException>(() => RobustnessProperty.Create(new[] { 0.5 }, 0, 0.1, 2, min: 1, max: 0));
    }

    static void AssertSame(Specification a, Specification b)
    {
        Assert.Equal((a.InputSize, a.OutputSize, a.Regions.Count), (b.InputSize, b.OutputSize, b.Regions.Count));
        for (int k = 0; k < a.Regions.Count; k++)
        {
            Assert.Equal(a.Regions[k].Lower, b.Regions[k].Lower);
            Assert.Equal(a.Regions[k].Upper, b.Regions[k].Upper);
            var da = a.Regions[k].Unsafe.Disjuncts;
            var db = b.Regions[k].Unsafe.Disjuncts;
            Assert.Equal(da.Count, db.Count);
            for (int d = 0; d < da.Count; d++)
            {
                Assert.Equal(da[d].Rows.Count, db[d].Rows.Count);
                for (int i = 0; i < da[d].Rows.Count; i++)
                {
                    Assert.Equal(da[d].Rows[i].C, db[d].Rows[i].C);
                    Assert.Equal(da[d].Rows[i].D, db[d].Rows[i].D);
                }
            }
        }
    }

    static Specification RoundTrip(Specification s)
    {
        var path = Path.Combine(Path.GetTempPath(), $"certify-{Guid.NewGuid():N}.vnnlib");
        try
        {
            VnnLibWriter.Write(s, path);
            return VnnLibParser.Parse(path);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void RobustnessPropertyRoundTrips()
    {
        var rng = new Random(7);
        var x = Enumerable.Range(0, 50).Select(_ => rng.NextDouble()).ToArray();
        var s = RobustnessProperty.Create(x, 3, 1.0 / 255, 10);
        AssertSame(s, RoundTrip(s));
    }

    [Fact]
    public void GeneralSpecificationRoundTrips()
    {
        // Two regions; general rows with awkward numbers; a single-disjunct region next to a multi-disjunct one.
        var s = new Specification(new[]
        {
            new InputRegion(new[] { -1e-300, 0.1 }, new[] { 1.0 / 3, 7e20 }, new OutputCondition(new[]
            {
                new Conjunction(new[] { new HalfSpace(new[] { 2.5, -1.0 / 7, 0 }, -3.25e-7), new HalfSpace(new[] { 0, 0, -1.0 }, 4) }),
                new Conjunction(new[] { new HalfSpace(new[] { 0, 1.0, -1 }, 0) }),
            })),
            new InputRegion(new[] { 2.0, -5 }, new[] { 3.0, -4 }, new OutputCondition(new[]
            {
                new Conjunction(new[] { new HalfSpace(new[] { 0, -1.0, 1 }, 0), new HalfSpace(new[] { 1.0, 0, 0 }, -0.0) }),
            })),
        }, 2, 3);
        AssertSame(s, RoundTrip(s));
        // A single region with several disjuncts, written with top-level input bounds.
        var single = new Specification(new[] { s.Regions[0] }, 2, 3);
        AssertSame(single, RoundTrip(single));
    }

    [SkippableTheory]
    [InlineData("acasxu/vnnlib/prop_6.vnnlib")]
    [InlineData("acasxu/vnnlib/prop_2.vnnlib")]
    [InlineData("oval21_2021/vnnlib/cifar_base_kw-img4549-eps0.00392156862745098.vnnlib")]
    [InlineData("marabou_onnx_zoo/vnnlib/test_add_var.vnnlib")]
    public void BenchmarkPropertiesRoundTrip(string relative)
    {
        var s = VnnLibParser.Parse(Path.Combine(TestPaths.RequireBench(), relative));
        AssertSame(s, RoundTrip(s));
    }

    [Fact]
    public void EmptySpecificationRoundTrips()
    {
        var s = new Specification(Array.Empty<InputRegion>(), 2, 1);
        AssertSame(s, RoundTrip(s));
    }
}

using Certify.Reports;
using SkiaSharp;

namespace Certify.Tests.Reports;

/// <summary>
/// The tightness plots of <c>bench-bounds</c>: horizontal bars whose lengths, measured in pixels of each series' colour,
/// are in proportion to their values (linear axis from 0), and on a log axis differ by the log of their ratio.
/// </summary>
public sealed class GroupedBarChartTests
{
    /// <summary>
    /// Per band of rows with pixels close to <paramref name="c"/>, top to bottom, the length of the run that starts at its
    /// first such pixel. Bars start at the left end of the value axis; the legend's colour samples start further right
    /// and are left out by that.
    /// </summary>
    static List<int> Lengths(SKBitmap image, ScottPlot.Color c)
    {
        bool Near(SKColor p) => Math.Abs(p.Red - c.R) + Math.Abs(p.Green - c.G) + Math.Abs(p.Blue - c.B) < 12;
        var bands = new List<(int Start, int Length)>();
        bool inBand = false;
        for (int y = 0; y < image.Height; y++)
        {
            int x0 = Enumerable.Range(0, image.Width).FirstOrDefault(x => Near(image.GetPixel(x, y)), -1);
            int run = 0;
            if (x0 >= 0) while (x0 + run < image.Width && Near(image.GetPixel(x0 + run, y))) run++;
            if (run > 3 && !inBand) { bands.Add((x0, run)); inBand = true; }
            else if (run > 3) bands[^1] = (Math.Min(bands[^1].Start, x0), Math.Max(bands[^1].Length, run));
            else inBand = false;
        }
        int axis = bands.Select(b => b.Start).DefaultIfEmpty(0).Min();
        return bands.Where(b => b.Start <= axis + 2).Select(b => b.Length).ToList();
    }

    [Fact]
    public void LinearBarsAreInProportionToTheirValues()
    {
        var chart = new GroupedBarChart("t", "ratio").Add("first", "CROWN", 1.2).Add("second", "CROWN", 0.6).Add("third", "CROWN", 0.3).Add("first", "alpha", 0.9);
        using var image = SKBitmap.Decode(chart.Png(900));
        var crown = Lengths(image, CactusPlot.Palette(0));
        Assert.Equal(3, crown.Count);                          // top to bottom: first, second, third
        Assert.InRange(crown[1] / (double)crown[0], 0.48, 0.52);
        Assert.InRange(crown[2] / (double)crown[0], 0.23, 0.27);
        var alpha = Lengths(image, CactusPlot.Palette(1));
        Assert.Single(alpha);
        Assert.InRange(alpha[0] / (double)crown[0], 0.73, 0.77);
    }

    [Fact]
    public void LogBarsDifferByTheLogOfTheirRatio()
    {
        // From the axis start 0.001 (the decade below the smallest value): 1 is 3 decades long, 0.01 one decade.
        var chart = new GroupedBarChart("t", "width / IBP") { LogScale = true }.Add("a", "CROWN", 1).Add("b", "CROWN", 0.01).Add("c", "CROWN", 0.001).Add("d", "CROWN", -1);
        Assert.Equal(3, chart.Count);                          // a negative value cannot be drawn on a log axis
        using var image = SKBitmap.Decode(chart.Png(900));
        var l = Lengths(image, CactusPlot.Palette(0));
        Assert.Equal(2, l.Count);                              // 0.001 is at the axis start: no length
        Assert.InRange(l[1] / (double)l[0], 1 / 3.0 - 0.02, 1 / 3.0 + 0.02);
    }
}

using Certify.Reports;
using SkiaSharp;

namespace Certify.Tests.Reports;

/// <summary>
/// The chart of <c>certify certify-accuracy</c> (clean and certified accuracy per ε), drawn with ScottPlot: it decodes
/// at the asked size, and each bar's height, measured in pixels of the bar colour, is in proportion to its value.
/// </summary>
public sealed class BarChartTests
{
    static readonly (byte R, byte G, byte B) BarColour = (0x3B, 0x6F, 0xB6);

    [Fact]
    public void BarsHaveTheHeightsOfTheirValues()
    {
        double[] values = [100, 75, 50, 25, 0];
        var chart = new BarChart("certified accuracy", "epsilon", "certified %");
        for (int i = 0; i < values.Length; i++) chart.Add(i == 0 ? "clean" : $"0.0{i}", values[i]);
        using var image = SKBitmap.Decode(chart.Png(720, 420));
        Assert.NotNull(image);
        Assert.Equal((720, 420), (image.Width, image.Height));

        // Bar columns: runs of x where some pixel has the bar colour; the height of a bar is its count of such rows.
        var heights = new List<int>();
        int? start = null;
        for (int x = 0; x <= image.Width; x++)
        {
            int h = x < image.Width ? Enumerable.Range(0, image.Height).Count(y => IsBar(image.GetPixel(x, y))) : 0;
            if (h > 0 && start is null) { start = x; heights.Add(h); }
            else if (h > 0) heights[^1] = Math.Max(heights[^1], h);
            else start = null;
        }
        Assert.Equal(values.Count(v => v > 0), heights.Count);   // a 0 % bar has no height
        for (int i = 1; i < heights.Count; i++)
            Assert.InRange(heights[i] / (double)heights[0], values[i] / 100 - 0.02, values[i] / 100 + 0.02);
        Assert.True(heights[0] > image.Height / 2, $"the 100 % bar is {heights[0]} of {image.Height} pixels high");
    }

    static bool IsBar(SKColor p) => Math.Abs(p.Red - BarColour.R) + Math.Abs(p.Green - BarColour.G) + Math.Abs(p.Blue - BarColour.B) < 12;
}

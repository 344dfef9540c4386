using ScottPlot;

namespace Certify.Reports;

/// <summary>
/// A bar chart of percentages, one bar per x label with its value printed over it: the chart of
/// <c>certify certify-accuracy</c> (clean accuracy, then certified accuracy at each ε). Drawn with ScottPlot; it replaced
/// a hand-written PNG encoder with a 5×7 bitmap font, which had no anti-aliasing, no lower case and a fixed layout.
/// </summary>
public sealed class BarChart(string title, string xCaption, string yCaption)
{
    readonly List<(string Label, double Value)> _bars = new();

    /// <summary>Adds a bar with x label <paramref name="label"/> and height <paramref name="percent"/> (clamped to [0, 100]).</summary>
    public BarChart Add(string label, double percent) { _bars.Add((label, Math.Clamp(percent, 0, 100))); return this; }

    /// <summary>The chart as PNG bytes.</summary>
    public byte[] Png(int width = 720, int height = 420)
    {

        var plot = PlotStyle.New();
        var bars = _bars.Select((b, i) => new Bar
        {
            Position = i,
            Value = b.Value,
            FillColor = new Color(0x3B, 0x6F, 0xB6),
            LineWidth = 0,
            Label = b.Value.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture),
            Size = 0.6,
        }).ToList();
        var plottable = plot.Add.Bars(bars);
        plottable.ValueLabelStyle.FontSize = 13;
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, _bars.Count).Select(i => (double)i).ToArray(), _bars.Select(b => b.Label).ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.SetLimits(-0.6, Math.Max(0, _bars.Count - 1) + 0.6, 0, 108);
        plot.Grid.XAxisStyle.IsVisible = false;
        plot.Title(title);
        plot.XLabel(xCaption);
        plot.YLabel(yCaption);
        return PlotStyle.Finish(plot).GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>Writes the chart to <paramref name="path"/> as PNG.</summary>
    public void Save(string path, int width = 720, int height = 420) => File.WriteAllBytes(path, Png(width, height));
}

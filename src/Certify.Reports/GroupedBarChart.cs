using ScottPlot;

namespace Certify.Reports;

/// <summary>
/// Horizontal bars grouped by a category (one group per instance, one bar per series, e.g. bound method), with a
/// reference line: the bound tightness plots of <c>certify bench-bounds</c> (mean bound width of CROWN and alpha-CROWN
/// relative to IBP; Certify's width over auto_LiRPA's, where 1 is a tie). Horizontal, because instance names are long;
/// a log axis when the values span orders of magnitude (widths relative to IBP do), with labels in plain numbers.
/// </summary>
public sealed class GroupedBarChart(string title, string valueCaption)
{
    readonly List<(string Group, string Series, double Value)> _bars = new();

    /// <summary>A log value axis (base 10); values must then be positive (others are left out).</summary>
    public bool LogScale { get; init; }

    /// <summary>Where a dashed vertical line is drawn (1 for a ratio), or null for none.</summary>
    public double? Reference { get; init; }

    /// <summary>Adds the bar of <paramref name="series"/> in <paramref name="group"/>.</summary>
    public GroupedBarChart Add(string group, string series, double value) { _bars.Add((group, series, value)); return this; }

    /// <summary>Number of bars drawn (non-finite values, and non-positive ones on a log axis, are left out).</summary>
    public int Count => Drawable().Count();

    IEnumerable<(string Group, string Series, double Value)> Drawable() =>
        _bars.Where(b => double.IsFinite(b.Value) && (!LogScale || b.Value > 0));

    /// <summary>The chart as PNG bytes; the height grows with the number of groups unless given.</summary>
    public byte[] Png(int width = 900, int? height = null)
    {
        var bars = Drawable().ToList();
        var groups = bars.Select(b => b.Group).Distinct().ToList();
        var series = bars.Select(b => b.Series).Distinct().ToList();
        int h = height ?? Math.Clamp(140 + groups.Count * (18 * series.Count + 10), 300, 4000);
        var plot = PlotStyle.New();
        double slot = 1.0 / (series.Count + 1);
        double Value(double v) => LogScale ? Math.Log10(v) : v;
        double low = LogScale ? Math.Floor(bars.Select(b => Value(b.Value)).Append(Reference is { } r0 ? Value(r0) : 0).DefaultIfEmpty(0).Min()) : 0;
        for (int s = 0; s < series.Count; s++)
        {
            var list = new List<Bar>();
            foreach (var b in bars.Where(b => b.Series == series[s]))
            {
                int g = groups.IndexOf(b.Group);
                // Group 0 at the top: positions count down.
                list.Add(new Bar { Position = (groups.Count - 1 - g) + (series.Count - 1 - s - (series.Count - 1) / 2.0) * slot, ValueBase = low, Value = Value(b.Value), Size = slot * 0.9, FillColor = CactusPlot.Palette(s), LineWidth = 0 });
            }
            var plottable = plot.Add.Bars(list);
            plottable.Horizontal = true;
            plottable.LegendText = series[s];
        }
        if (Reference is { } r)
        {
            var line = plot.Add.VerticalLine(Value(r));
            line.LineColor = Colors.Black.WithOpacity(0.6);
            line.LinePattern = LinePattern.Dashed;
            line.LineWidth = 1;
        }
        plot.Axes.Left.SetTicks(Enumerable.Range(0, groups.Count).Select(g => (double)(groups.Count - 1 - g)).ToArray(), groups.ToArray());
        plot.Axes.Left.MajorTickStyle.Length = 0;
        if (LogScale)
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = true,
                LabelFormatter = x => Math.Pow(10, x).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
            };
        double high = bars.Select(b => Value(b.Value)).Append(Reference is { } r1 ? Value(r1) : low + 1).DefaultIfEmpty(low + 1).Max();
        plot.Axes.SetLimits(low, high + (high - low) * 0.05, -0.6, groups.Count - 0.4);
        plot.Grid.YAxisStyle.IsVisible = false;
        plot.Title(title);
        plot.XLabel(valueCaption);
        plot.ShowLegend(Edge.Right);
        return PlotStyle.Finish(plot).GetImageBytes(width, h, ImageFormat.Png);
    }

    /// <summary>Writes the chart to <paramref name="path"/> as PNG.</summary>
    public void Save(string path, int width = 900) => File.WriteAllBytes(path, Png(width));
}

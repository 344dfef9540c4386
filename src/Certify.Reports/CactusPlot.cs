using Certify.Verification.Benchmarks;
using ScottPlot;

namespace Certify.Reports;

/// <summary>
/// The cactus plot of one or more runs: for each run, how many instances it solved (y) within a time limit (x). A run
/// whose line is higher solved more within the same time; further left, it solved them faster. One step line per results
/// file; "solved" is a definite answer (sat or unsat) that no label contradicts (<see cref="ResultRow.Solved"/>), so a
/// wrong answer never helps a line. Time is on a log scale: verification times span four orders of magnitude (tens of
/// milliseconds to minutes) and on a linear axis the fast instances, most of them, collapse into one vertical stroke.
/// </summary>
public static class CactusPlot
{
    /// <summary>Shortest time drawn (1 ms): a log axis cannot show 0, and an answer that came faster is drawn at this time.</summary>
    public const double MinSeconds = 0.001;

    /// <summary>Draws the plot of <paramref name="runs"/> as PNG bytes of the given size.</summary>
    public static byte[] Png(IReadOnlyList<RunResults> runs, int width = 900, int height = 560, string? title = null)
    {
        var plot = Build(runs, title);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    static Plot Build(IReadOnlyList<RunResults> runs, string? title)
    {

        var plot = PlotStyle.New();
        var times = runs.Select(RunComparison.SolvedTimes).ToList();
        double tMax = Math.Max(MinSeconds * 10, runs.SelectMany(r => r.Rows).Select(r => r.Seconds).DefaultIfEmpty(1).Max());
        double xMax = Math.Log10(tMax) + 0.05;
        // The axis starts at the decade below the fastest solved instance (not below MinSeconds), so that it is labelled.
        double fastest = times.SelectMany(t => t).Where(t => t > 0).DefaultIfEmpty(1).Min();
        double xMin = Math.Floor(Math.Log10(Math.Max(MinSeconds, fastest)));
        for (int i = 0; i < runs.Count; i++)
        {
            var t = times[i];
            // Steps: 0 solved before the first answer, then one more at each solved instance's time, flat to the end.
            var xs = new List<double> { xMin };
            var ys = new List<double> { 0 };
            for (int k = 0; k < t.Count; k++) { xs.Add(Math.Max(xMin, Math.Log10(Math.Max(MinSeconds, t[k])))); ys.Add(k + 1); }
            xs.Add(xMax); ys.Add(t.Count);
            var line = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.MarkerSize = 0;
            line.LineWidth = 2;
            line.Color = Palette(i);
            line.LegendText = $"{runs[i].Name} ({t.Count} of {runs[i].Rows.Count} solved)";
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = x => Seconds(Math.Pow(10, x)),
        };
        plot.Axes.Bottom.MinorTickStyle.Length = 4;
        plot.Grid.MinorLineColor = Colors.Black.WithOpacity(0.05);
        plot.Grid.MinorLineWidth = 1;
        int most = runs.Select(r => r.Rows.Count).DefaultIfEmpty(1).Max();
        plot.Axes.SetLimits(xMin - 0.02, xMax, 0, Math.Max(1, most) * 1.04);
        plot.XLabel("time (s, log scale)");
        plot.YLabel("instances solved");
        plot.Title(title ?? "solved instances against time");
        plot.ShowLegend(Alignment.UpperLeft);
        return PlotStyle.Finish(plot);
    }

    static string Seconds(double s) => s >= 1 ? s.ToString("0", System.Globalization.CultureInfo.InvariantCulture) : s.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Colour of the i-th run: ScottPlot's Category10 palette (distinguishable, and the same colour per position everywhere).</summary>
    public static Color Palette(int i) => new ScottPlot.Palettes.Category10().GetColor(i);
}

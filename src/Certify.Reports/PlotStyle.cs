using ScottPlot;

namespace Certify.Reports;

/// <summary>
/// The one place where Certify's plots get their common look, above all one sans-serif face for every text. ScottPlot's
/// own <see cref="Fonts.Sans"/> looks for faces that Debian does not have (Open Sans, Segoe UI, Arial...) and then falls
/// back to Skia's default typeface, which on Debian 12 is DejaVu Serif: the first plots came out all in a serif face. So
/// the face is chosen here from the families the system's font manager lists, DejaVu Sans first (Debian 12 images have
/// fonts-dejavu-core), and set on every text element once the plot is built.
/// </summary>
static class PlotStyle
{
    /// <summary>Sans-serif faces in order of preference; the first installed one is used.</summary>
    static readonly string[] Preferred = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica", "Open Sans"];

    /// <summary>The face every text of a plot uses.</summary>
    public static readonly string Face = ChooseFace();

    static string ChooseFace()
    {
        var installed = new HashSet<string>(SkiaSharp.SKFontManager.Default.FontFamilies, StringComparer.OrdinalIgnoreCase);
        return Preferred.FirstOrDefault(installed.Contains) ?? Fonts.Sans;
    }

    /// <summary>A new plot in Certify's style.</summary>
    public static Plot New()
    {
        var plot = new Plot();
        plot.Font.Set(Face);
        return plot;
    }

    /// <summary>Sets the face on every text element (legend and tick labels too) and the grid colour; call once the plot is built.</summary>
    public static Plot Finish(Plot plot)
    {
        plot.Font.Set(Face);
        plot.Legend.FontName = Face;
        foreach (var axis in plot.Axes.GetAxes())
        {
            axis.TickLabelStyle.FontName = Face;
            axis.Label.FontName = Face;
        }
        plot.Grid.MajorLineColor = Colors.Black.WithOpacity(0.12);
        return plot;
    }
}

using System.Globalization;
using System.Text;

namespace Certify.Spec;

/// <summary>Width statistics of an input box.</summary>
/// <param name="MinWidth">Smallest <c>upper − lower</c>.</param>
/// <param name="MeanWidth">Mean width.</param>
/// <param name="MaxWidth">Largest width.</param>
/// <param name="FixedInputs">Inputs whose lower and upper bounds are equal.</param>
/// <param name="LowestBound">Smallest lower bound.</param>
/// <param name="HighestBound">Largest upper bound.</param>
public sealed record BoxStatistics(double MinWidth, double MeanWidth, double MaxWidth, int FixedInputs, double LowestBound, double HighestBound)
{
    /// <summary>Statistics of <paramref name="region"/>'s box.</summary>
    public static BoxStatistics Of(InputRegion region)
    {
        int n = region.Lower.Length;
        double min = double.PositiveInfinity, max = 0, sum = 0, lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        int fixedCount = 0;
        for (int i = 0; i < n; i++)
        {
            double w = region.Upper[i] - region.Lower[i];
            min = Math.Min(min, w);
            max = Math.Max(max, w);
            sum += w;
            if (w == 0) fixedCount++;
            lo = Math.Min(lo, region.Lower[i]);
            hi = Math.Max(hi, region.Upper[i]);
        }
        return new BoxStatistics(n == 0 ? 0 : min, n == 0 ? 0 : sum / n, max, fixedCount, lo, hi);
    }
}

/// <summary>Readable text for specification rows.</summary>
public static class SpecificationText
{
    /// <summary>A row as an inequality over the outputs, e.g. <c>Y_0 - Y_1 &lt;= 0</c> or <c>-2.5 Y_3 + Y_4 &lt;= 1E-05</c>.</summary>
    public static string Row(HalfSpace row)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < row.C.Length; i++)
        {
            double c = row.C[i];
            if (c == 0) continue;
            bool first = sb.Length == 0;
            if (c < 0) sb.Append(first ? "-" : " - ");
            else if (!first) sb.Append(" + ");
            double a = Math.Abs(c);
            if (a != 1) sb.Append(Number(a)).Append(' ');
            sb.Append("Y_").Append(i);
        }
        if (sb.Length == 0) sb.Append('0');
        return sb.Append(" <= ").Append(Number(row.D)).ToString();
    }

    /// <summary>Round-trip, culture-independent text of a number.</summary>
    public static string Number(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}

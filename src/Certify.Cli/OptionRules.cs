using System.CommandLine;
using System.CommandLine.Parsing;

namespace Certify.Cli;

/// <summary>
/// Validators for numeric options, so that every number a user types is checked before any work starts and a bad one
/// ends in a one-line error naming the option (exit code <see cref="ExitCodes.BadInput"/>). <c>NaN</c>, infinities and
/// values no duration can hold (<c>--timeout 1e300</c> overflowed <see cref="TimeSpan"/> with a stack trace) are refused.
/// </summary>
public static class OptionRules
{
    /// <summary>Longest time limit accepted: 10^7 s (about 115 days); more is a typo, and TimeSpan arithmetic stays exact.</summary>
    public const double MaxSeconds = 1e7;

    /// <summary>A time limit in seconds: finite, positive, at most <see cref="MaxSeconds"/>.</summary>
    public static Option<double> Seconds(this Option<double> o) => o.Check(v => v > 0 && v <= MaxSeconds, $"a number of seconds in (0, {MaxSeconds:G}]");

    /// <summary>An optional time limit in seconds (absent, or as <see cref="Seconds(Option{double})"/>).</summary>
    public static Option<double?> Seconds(this Option<double?> o) => o.Check(v => v is null || v > 0 && v <= MaxSeconds, $"a number of seconds in (0, {MaxSeconds:G}]");

    /// <summary>A finite number greater than 0.</summary>
    public static Option<double> Positive(this Option<double> o) => o.Check(v => double.IsFinite(v) && v > 0, "a finite number greater than 0");

    /// <summary>An optional finite number greater than 0.</summary>
    public static Option<double?> Positive(this Option<double?> o) => o.Check(v => v is null || double.IsFinite(v.Value) && v > 0, "a finite number greater than 0");

    /// <summary>A finite number of at least 0.</summary>
    public static Option<double> NonNegative(this Option<double> o) => o.Check(v => double.IsFinite(v) && v >= 0, "a finite number of at least 0");

    /// <summary>A finite number in [lo, hi].</summary>
    public static Option<double> InRange(this Option<double> o, double lo, double hi) => o.Check(v => v >= lo && v <= hi, $"a number in [{lo:G}, {hi:G}]");

    /// <summary>An optional finite number in [lo, hi].</summary>
    public static Option<double?> InRange(this Option<double?> o, double lo, double hi) => o.Check(v => v is null || v >= lo && v <= hi, $"a number in [{lo:G}, {hi:G}]");

    /// <summary>An integer of at least <paramref name="min"/>.</summary>
    public static Option<int> AtLeast(this Option<int> o, int min) => o.Check(v => v >= min, $"an integer of at least {min}");

    /// <summary>An optional integer of at least <paramref name="min"/>.</summary>
    public static Option<int?> AtLeast(this Option<int?> o, int min) => o.Check(v => v is null || v >= min, $"an integer of at least {min}");

    /// <summary>A value from a fixed list (compared case-insensitively).</summary>
    public static Option<string> OneOf(this Option<string> o, params string[] allowed) =>
        o.Check(v => allowed.Contains(v, StringComparer.OrdinalIgnoreCase), "one of " + string.Join(", ", allowed));

    static Option<T> Check<T>(this Option<T> o, Func<T, bool> ok, string expected)
    {
        o.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0 && result.Implicit) return;    // the default value: trusted
            T value;
            try { value = result.GetValueOrDefault<T>(); }
            catch (InvalidOperationException) { return; }              // a conversion error System.CommandLine reports itself
            if (!ok(value)) result.AddError($"{o.Name} {string.Join(' ', result.Tokens.Select(t => t.Value))}: expected {expected}");
        });
        return o;
    }
}

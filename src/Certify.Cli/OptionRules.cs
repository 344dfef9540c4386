using System.CommandLine;
using System.Runtime.CompilerServices;

namespace Certify.Cli;

/// <summary>
/// What a number is allowed to be: the test, the phrase an error message uses for it ("a number of seconds in (0, 1e+07]"),
/// and values that must be refused (used by the option sweep to prove that the test is applied: zero where zero is
/// invalid, negatives, values past the range). Shared by command-line options (<see cref="OptionRules"/>) and the
/// configuration file (<c>Configuration/ConfigSettings.cs</c>), so the same setting is checked the same way in both.
/// </summary>
public sealed record NumberRule(string Expected, Func<double, bool> Ok, IReadOnlyList<double> Invalid)
{
    /// <summary>A time limit in seconds: finite, positive, at most <see cref="OptionRules.MaxSeconds"/>.</summary>
    public static NumberRule Seconds { get; } = new($"a number of seconds in (0, {OptionRules.MaxSeconds:G}]", v => v > 0 && v <= OptionRules.MaxSeconds, new[] { 0, -1, OptionRules.MaxSeconds * 10 });

    /// <summary>A finite number greater than 0.</summary>
    public static NumberRule Positive { get; } = new("a finite number greater than 0", v => double.IsFinite(v) && v > 0, new[] { 0.0, -1 });

    /// <summary>A finite number of at least 0.</summary>
    public static NumberRule NonNegative { get; } = new("a finite number of at least 0", v => double.IsFinite(v) && v >= 0, new[] { -1.0, -1e-9 });

    /// <summary>A finite number in [lo, hi].</summary>
    public static NumberRule InRange(double lo, double hi) => new($"a number in [{lo:G}, {hi:G}]", v => v >= lo && v <= hi, new[] { lo - 1, hi + 1 });

    /// <summary>An integer of at least <paramref name="min"/>.</summary>
    public static NumberRule AtLeast(long min) => new($"an integer of at least {min}", v => v >= min, new[] { (double)min - 1 });

    /// <summary>An integer in [lo, hi].</summary>
    public static NumberRule IntegerIn(long lo, long hi) => new($"an integer in [{lo}, {hi}]", v => v >= lo && v <= hi, new[] { (double)lo - 1, (double)hi + 1 });

    /// <summary>Any integer the type holds (a seed): only text and overflow are refused, by the parser itself.</summary>
    public static NumberRule AnyInteger { get; } = new("an integer", _ => true, Array.Empty<double>());
}

/// <summary>
/// Validators for numeric options, so that every number a user types is checked before any work starts and a bad one
/// ends in a one-line error naming the option (exit code <see cref="ExitCodes.BadInput"/>). <c>NaN</c>, infinities,
/// zero and negatives where they make no sense, and values no duration can hold (<c>--timeout 1e300</c> overflowed
/// <see cref="TimeSpan"/> with a stack trace) are refused. Each option's <see cref="NumberRule"/> is recorded
/// (<see cref="RuleOf"/>) so that a test can check that every numeric option of every command has one and applies it.
/// </summary>
public static class OptionRules
{
    /// <summary>Longest time limit accepted: 10^7 s (about 115 days); more is a typo, and TimeSpan arithmetic stays exact.</summary>
    public const double MaxSeconds = 1e7;

    static readonly ConditionalWeakTable<Option, NumberRule> Rules = new();

    /// <summary>The rule a numeric option was given, or null when it has none.</summary>
    public static NumberRule? RuleOf(Option option) => Rules.TryGetValue(option, out var r) ? r : null;

    /// <summary>A time limit in seconds: finite, positive, at most <see cref="MaxSeconds"/>.</summary>
    public static Option<double> Seconds(this Option<double> o) => o.Check(NumberRule.Seconds);

    /// <summary>An optional time limit in seconds (absent, or as <see cref="Seconds(Option{double})"/>).</summary>
    public static Option<double?> Seconds(this Option<double?> o) => o.Check(NumberRule.Seconds);

    /// <summary>A finite number greater than 0.</summary>
    public static Option<double> Positive(this Option<double> o) => o.Check(NumberRule.Positive);

    /// <summary>An optional finite number greater than 0.</summary>
    public static Option<double?> Positive(this Option<double?> o) => o.Check(NumberRule.Positive);

    /// <summary>A finite number of at least 0.</summary>
    public static Option<double> NonNegative(this Option<double> o) => o.Check(NumberRule.NonNegative);

    /// <summary>A finite number in [lo, hi].</summary>
    public static Option<double> InRange(this Option<double> o, double lo, double hi) => o.Check(NumberRule.InRange(lo, hi));

    /// <summary>An optional finite number in [lo, hi].</summary>
    public static Option<double?> InRange(this Option<double?> o, double lo, double hi) => o.Check(NumberRule.InRange(lo, hi));

    /// <summary>An integer of at least <paramref name="min"/>.</summary>
    public static Option<int> AtLeast(this Option<int> o, int min) => o.Check(NumberRule.AtLeast(min));

    /// <summary>An optional integer of at least <paramref name="min"/>.</summary>
    public static Option<int?> AtLeast(this Option<int?> o, int min) => o.Check(NumberRule.AtLeast(min));

    /// <summary>Any integer (a seed): recorded as deliberately unrestricted, so the sweep knows it was not forgotten.</summary>
    public static Option<T> AnyInteger<T>(this Option<T> o) => o.Check(NumberRule.AnyInteger);

    /// <summary>A value from a fixed list (compared case-insensitively).</summary>
    public static Option<string> OneOf(this Option<string> o, params string[] allowed)
    {
        o.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0 && result.Implicit) return;
            var v = result.GetValueOrDefault<string>();
            if (!allowed.Contains(v, StringComparer.OrdinalIgnoreCase))
                result.AddError($"{o.Name} {string.Join(' ', result.Tokens.Select(t => t.Value))}: expected one of {string.Join(", ", allowed)}");
        });
        return o;
    }

    static Option<T> Check<T>(this Option<T> o, NumberRule rule)
    {
        Rules.AddOrUpdate(o, rule);
        o.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0 && result.Implicit) return;    // the default value: trusted
            T value;
            try { value = result.GetValueOrDefault<T>(); }
            catch (InvalidOperationException) { return; }              // a conversion error System.CommandLine reports itself
            if (value is null) return;
            if (!rule.Ok(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)))
                result.AddError($"{o.Name} {string.Join(' ', result.Tokens.Select(t => t.Value))}: expected {rule.Expected}");
        });
        return o;
    }
}

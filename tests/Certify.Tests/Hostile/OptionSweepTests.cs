using System.CommandLine;
using Certify.Cli;

namespace Certify.Tests.Hostile;

/// <summary>
/// Every numeric option of every <c>certify</c> command, found by reflection over the commands (so an option added
/// later is covered without editing this test): <c>NaN</c>, infinities and text must be refused when the command line is
/// parsed, by an error that names the option, before any work starts. (An option without a validator let
/// <c>--timeout NaN</c> reach <see cref="TimeSpan"/> and end in a stack trace.)
/// </summary>
[Collection(SequentialRandomCollection.Name)]   // Program.Main writes to the process-wide Console
public sealed class OptionSweepTests
{
    static readonly Type[] Numeric = { typeof(double), typeof(double?), typeof(float), typeof(float?), typeof(int), typeof(int?), typeof(long), typeof(long?) };

    /// <summary>Every command and subcommand with the words that reach it.</summary>
    static IEnumerable<(Command Command, string[] Path)> AllCommands()
    {
        IEnumerable<(Command, string[])> Walk(Command c, string[] path)
        {
            yield return (c, path);
            foreach (var sub in c.Subcommands)
                foreach (var x in Walk(sub, path.Append(sub.Name).ToArray())) yield return x;
        }
        return Program.Commands().SelectMany(c => Walk(c, new[] { c.Name }));
    }

    [Fact]
    public void Every_numeric_option_refuses_nan_infinity_and_text_naming_the_option()
    {
        var root = new RootCommand();
        foreach (var c in Program.Commands()) root.Subcommands.Add(c);
        var failures = new List<string>();
        int checkedOptions = 0;
        foreach (var (command, path) in AllCommands())
        {
            if (command.Subcommands.Count > 0 && command.Arguments.Count == 0 && command.Options.Count == 0) continue;
            var arguments = command.Arguments.Select(_ => "x").ToArray();   // the arguments' contents are not parsed, only counted
            foreach (var option in command.Options.Where(o => Numeric.Contains(o.ValueType)))
            {
                checkedOptions++;
                foreach (var value in new[] { "NaN", "Infinity", "-Infinity", "abc", "1e999" })
                {
                    var errors = root.Parse(path.Concat(arguments).Concat(new[] { option.Name, value }).ToArray()).Errors.Select(e => e.Message).ToList();
                    if (!errors.Any(e => e.Contains(option.Name, StringComparison.Ordinal)))
                        failures.Add($"certify {string.Join(' ', path)} {option.Name} {value}: {(errors.Count == 0 ? "accepted" : "errors do not name the option: " + string.Join(" | ", errors))}");
                }
            }
        }
        Assert.True(checkedOptions >= 40, $"only {checkedOptions} numeric options found: the sweep no longer sees the commands");
        Assert.True(failures.Count == 0, $"{failures.Count} numeric option values were not refused:\n" + string.Join("\n", failures));
    }

    /// <summary>
    /// Every numeric option carries a <see cref="NumberRule"/> (or is marked as any integer, a seed), its default obeys
    /// it, and every value the rule names as invalid (zero where zero makes no sense, negatives, past the range) is
    /// refused: through <see cref="Program.Main"/>, with exit code 2 and one line on standard error naming the option.
    /// </summary>
    [Fact]
    public void Every_numeric_option_has_a_rule_and_its_invalid_values_exit_2_naming_the_option()
    {
        var failures = new List<string>();
        int refusals = 0;
        foreach (var (command, path) in AllCommands())
        {
            var arguments = command.Arguments.Select(_ => "x").ToArray();
            foreach (var option in command.Options.Where(o => Numeric.Contains(o.ValueType)))
            {
                var where = $"certify {string.Join(' ', path)} {option.Name}";
                if (OptionRules.RuleOf(option) is not { } rule) { failures.Add($"{where}: no NumberRule (use OptionRules: Seconds, Positive, AtLeast, InRange, AnyInteger)"); continue; }
                if (DefaultOf(option) is { } d && !rule.Ok(d)) failures.Add($"{where}: its default {d} breaks its own rule ({rule.Expected})");
                foreach (var bad in rule.Invalid)
                {
                    var value = option.ValueType == typeof(double) || option.ValueType == typeof(double?) || option.ValueType == typeof(float) || option.ValueType == typeof(float?)
                        ? bad.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : ((long)bad).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    var (code, _, stderr) = CommandHarness.Certify(path.Concat(arguments).Concat(new[] { option.Name, value }).ToArray());
                    refusals++;
                    var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                    if (code != ExitCodes.BadInput) failures.Add($"{where} {value}: exit {code}, expected {ExitCodes.BadInput}");
                    else if (!lines.Any(l => l.StartsWith("certify: ", StringComparison.Ordinal) && l.Contains(option.Name, StringComparison.Ordinal) && l.Contains("expected", StringComparison.Ordinal)))
                        failures.Add($"{where} {value}: no line names the option and what it expects: {stderr.Trim()}");
                }
            }
        }
        Assert.True(refusals >= 40, $"only {refusals} invalid values tried");
        Assert.True(failures.Count == 0, $"{failures.Count} problems:\n" + string.Join("\n", failures));
    }

    static double? DefaultOf(Option option)
    {
        if (!option.HasDefaultValue) return null;
        var v = option.GetDefaultValue();
        return v is null ? null : Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture);
    }
}

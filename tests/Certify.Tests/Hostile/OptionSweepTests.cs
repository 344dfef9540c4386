using System.CommandLine;
using Certify.Cli;

namespace Certify.Tests.Hostile;

/// <summary>
/// Every numeric option of every <c>certify</c> command, found by reflection over the commands (so an option added
/// later is covered without editing this test): <c>NaN</c>, infinities and text must be refused when the command line is
/// parsed, by an error that names the option, before any work starts. (An option without a validator let
/// <c>--timeout NaN</c> reach <see cref="TimeSpan"/> and end in a stack trace.)
/// </summary>
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
}

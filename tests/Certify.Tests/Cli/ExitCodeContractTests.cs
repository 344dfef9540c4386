using System.CommandLine;
using System.Reflection;
using Certify.Cli;

namespace Certify.Tests.Cli;

/// <summary>
/// The exit codes are documented in one place (<c>specs/exit-codes.md</c>) and in <c>--help</c>: every constant of
/// <see cref="ExitCodes"/> has its row in the spec's table and its number in the root help, every command's help names
/// its codes, and bad input is never 0.
/// </summary>
public sealed class ExitCodeContractTests
{
    static IEnumerable<(string Name, int Value)> Codes() =>
        typeof(ExitCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (f.Name, (int)f.GetRawConstantValue()!));

    static IEnumerable<Command> AllCommands()
    {
        IEnumerable<Command> Walk(Command c) => new[] { c }.Concat(c.Subcommands.SelectMany(Walk));
        return Program.Commands().SelectMany(Walk);
    }

    [Fact]
    public void Every_exit_code_is_in_the_spec_table_and_in_the_root_help()
    {
        var spec = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "specs", "exit-codes.md"));
        var r = CliProcess.Run(new[] { "--help" });
        Assert.Equal(0, r.Code);
        foreach (var (name, value) in Codes())
        {
            Assert.Contains($"| {value} | `{name}` |", spec);
            Assert.Contains($"{value} ", r.Stdout);
        }
        Assert.Equal(new[] { 0, 1, 2, 3, 130 }, Codes().Select(c => c.Value).Order());
        Assert.Contains("specs/exit-codes.md", r.Stdout);
    }

    [Fact]
    public void Every_command_help_names_its_exit_codes()
    {
        var missing = AllCommands().Where(c => c.Description is not { } d || !d.Contains("Exit codes", StringComparison.Ordinal)).Select(c => c.Name).ToList();
        Assert.True(missing.Count == 0, "commands whose --help does not name the exit codes: " + string.Join(", ", missing));
    }

    [Fact]
    public void An_unknown_option_and_a_missing_argument_exit_2_for_every_command()
    {
        foreach (var command in Program.Commands().Where(c => c.Subcommands.Count == 0))
        {
            var args = new[] { command.Name }.Concat(command.Arguments.Select(_ => "x")).Append("--no-such-option").ToArray();
            var r = CliProcess.Run(args);
            Assert.True(r.Code == ExitCodes.BadInput, $"certify {string.Join(' ', args)}: exit {r.Code}");
            Assert.Contains("--no-such-option", r.Stderr);
        }
    }
}

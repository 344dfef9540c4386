using System.CommandLine;

namespace Certify.Cli;

/// <summary>
/// One <c>certify</c> subcommand. Every non-abstract implementation in this assembly is found by reflection and added to
/// the root command, so a new command is one new file under <c>Commands/</c>. Commands stay thin: they parse options,
/// call the libraries and print.
/// </summary>
public interface ICliCommand
{
    /// <summary>Builds the System.CommandLine command with its options and action.</summary>
    Command Build();
}

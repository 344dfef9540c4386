using System.CommandLine;
using Certify.Cli.Configuration;

namespace Certify.Cli.Commands;

/// <summary>
/// <c>certify config --dump [--config FILE]</c>: prints the effective configuration (the defaults, with FILE applied) as a
/// commented YAML file that <c>--config</c> reads back unchanged; <c>certify config --check FILE</c> only validates.
/// </summary>
public sealed class ConfigCommand : ICliCommand
{
    public Command Build()
    {
        var dump = new Option<bool>("--dump") { Description = "Print the effective configuration as YAML (every key, with its value and a comment)." };
        var file = ConfigOption.Create();
        var cmd = new Command("config", "Show the configuration that verify, run and bounds would use (specs/config.md). Exit codes: 0 printed; 2 the file is bad (one line naming file:line:column and key).")
            { dump, file };
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(file);
            var config = ConfigOption.Load(parse, file);
            if (!parse.GetValue(dump))
            {
                if (path is null) throw new CliException("config: give --dump (print the effective configuration), with --config FILE to apply a file");
                Console.WriteLine($"{path}: valid ({ConfigSettings.All.Count} keys known)");
                return ExitCodes.Ok;
            }
            Console.Write(ConfigFile.Dump(config));
            return ExitCodes.Ok;
        });
        return cmd;
    }
}

using System.CommandLine;

namespace Certify.Cli.Configuration;

/// <summary>
/// The <c>--config FILE</c> option of <c>verify</c>, <c>run</c>, <c>bounds</c> and <c>config --dump</c>, and the rule by
/// which flags override the file: a flag counts only when it was typed (<see cref="Given"/>), so a flag's default never
/// undoes a file's setting (<c>--timeout</c> defaults to 60, but a file's <c>verifier.timeout: 300</c> stands unless
/// <c>--timeout</c> is given).
/// </summary>
public static class ConfigOption
{
    /// <summary>A new <c>--config</c> option.</summary>
    public static Option<string?> Create() => new("--config")
    {
        Description = "YAML configuration file (specs/config.md); flags given explicitly override it. `certify config --dump --config FILE` prints the result.",
    };

    /// <summary>The configuration named by <paramref name="option"/>, or the defaults when it was not given.</summary>
    public static CertifyConfig Load(ParseResult parse, Option<string?> option) =>
        parse.GetValue(option) is { } path ? ConfigFile.Load(path) : new CertifyConfig();

    /// <summary>Whether <paramref name="option"/> was typed on the command line (not its default).</summary>
    public static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };
}

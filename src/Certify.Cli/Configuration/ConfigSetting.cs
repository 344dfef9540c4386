using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Certify.Cli.Configuration;

/// <summary>
/// One key of a configuration file: where it lives (<see cref="Section"/>.<see cref="Key"/>), what it means, what values
/// it takes, how it is read into a <see cref="CertifyConfig"/> and written back, and which option-record properties it
/// sets (<see cref="Covers"/>, so a test can prove that every setting of every record is reachable from a file).
/// Values are checked by the same <see cref="NumberRule"/>s as the command-line options: a file cannot set what a flag
/// would refuse.
/// </summary>
public sealed class ConfigSetting
{
    ConfigSetting(string section, string key, string doc, string type, string[] covers,
                  Func<CertifyConfig, string> write, Func<CertifyConfig, YamlNode, Func<string, Exception>, CertifyConfig> read, NumberRule? rule = null)
    {
        Section = section; Key = key; Doc = doc; Type = type; Covers = covers; _write = write; _read = read; Rule = rule;
    }

    /// <summary>The rule of a numeric setting (each element's, for a list), or null for words and booleans.</summary>
    public NumberRule? Rule { get; }

    readonly Func<CertifyConfig, string> _write;
    readonly Func<CertifyConfig, YamlNode, Func<string, Exception>, CertifyConfig> _read;

    /// <summary>The top-level mapping the key belongs to (<c>verifier</c>, <c>attack</c>, ...).</summary>
    public string Section { get; }
    /// <summary>The key inside its section (snake_case).</summary>
    public string Key { get; }
    /// <summary>What the setting does (one line, printed as a comment by <c>config --dump</c>).</summary>
    public string Doc { get; }
    /// <summary>The values it takes, in words ("an integer of at least 1", "one of crown, alpha-crown").</summary>
    public string Type { get; }
    /// <summary>The option-record properties it sets, as <c>Type.Property</c>.</summary>
    public IReadOnlyList<string> Covers { get; }
    /// <summary><c>section.key</c>.</summary>
    public string Path => $"{Section}.{Key}";

    /// <summary>The value in <paramref name="config"/> as YAML text (one plain scalar or a flow sequence).</summary>
    public string Write(CertifyConfig config) => _write(config);

    /// <summary>Applies the value <paramref name="node"/> to <paramref name="config"/>; a bad value is reported through <paramref name="fail"/>.</summary>
    public CertifyConfig Read(CertifyConfig config, YamlNode node, Func<string, Exception> fail) => _read(config, node, fail);

    static string Scalar(YamlNode node, Func<string, Exception> fail, string expected) =>
        node is YamlScalarNode { Value: { } v } ? v : throw fail($"expected {expected}, got a {(node is YamlSequenceNode ? "list" : node is YamlMappingNode ? "mapping" : "empty value")}");

    static bool IsNull(YamlNode node) => node is YamlScalarNode s && s.Style == YamlDotNet.Core.ScalarStyle.Plain && s.Value is null or "" or "~" or "null" or "Null" or "NULL";

    /// <summary>A number as YAML text: round-trip precision, lower-case exponent.</summary>
    public static string Number(double v) => v.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e");

    static double ParseReal(string text, NumberRule rule, Func<string, Exception> fail)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v) || !rule.Ok(v))
            throw fail($"expected {rule.Expected}, got '{text}'");
        return v;
    }

    static long ParseInteger(string text, NumberRule rule, long min, long max, Func<string, Exception> fail)
    {
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) || v < min || v > max || !rule.Ok(v))
            throw fail($"expected {rule.Expected}, got '{text}'");
        return v;
    }

    /// <summary>A real number checked by <paramref name="rule"/>.</summary>
    public static ConfigSetting Real(string section, string key, string doc, NumberRule rule, string covers,
                                     Func<CertifyConfig, double> get, Func<CertifyConfig, double, CertifyConfig> set) =>
        new(section, key, doc, rule.Expected, new[] { covers }, c => Number(get(c)),
            (c, n, fail) => set(c, ParseReal(Scalar(n, fail, rule.Expected), rule, fail)), rule);

    /// <summary>A duration written as seconds, checked by <see cref="NumberRule.Seconds"/> (a number of seconds in (0, 10^7]), the rule of every time option.</summary>
    public static ConfigSetting Seconds(string section, string key, string doc, string covers,
                                        Func<CertifyConfig, TimeSpan> get, Func<CertifyConfig, TimeSpan, CertifyConfig> set) =>
        new(section, key, doc, NumberRule.Seconds.Expected, new[] { covers }, c => Number(get(c).TotalSeconds),
            (c, n, fail) => set(c, TimeSpan.FromSeconds(ParseReal(Scalar(n, fail, NumberRule.Seconds.Expected), NumberRule.Seconds, fail))), NumberRule.Seconds);

    /// <summary>An optional duration in seconds: <c>null</c> means none.</summary>
    public static ConfigSetting OptionalSeconds(string section, string key, string doc, string covers,
                                                Func<CertifyConfig, TimeSpan?> get, Func<CertifyConfig, TimeSpan?, CertifyConfig> set) =>
        new(section, key, doc, NumberRule.Seconds.Expected + ", or null for none", new[] { covers },
            c => get(c) is { } t ? Number(t.TotalSeconds) : "null",
            (c, n, fail) => set(c, IsNull(n) ? null : TimeSpan.FromSeconds(ParseReal(Scalar(n, fail, NumberRule.Seconds.Expected), NumberRule.Seconds, fail))), NumberRule.Seconds);

    /// <summary>A 32-bit integer checked by <paramref name="rule"/>.</summary>
    public static ConfigSetting Int(string section, string key, string doc, NumberRule rule, string covers,
                                    Func<CertifyConfig, int> get, Func<CertifyConfig, int, CertifyConfig> set) =>
        new(section, key, doc, rule.Expected, new[] { covers }, c => get(c).ToString(CultureInfo.InvariantCulture),
            (c, n, fail) => set(c, (int)ParseInteger(Scalar(n, fail, rule.Expected), rule, int.MinValue, int.MaxValue, fail)), rule);

    /// <summary>
    /// A 32-bit integer checked by <paramref name="rule"/>, or the word <c>auto</c> (null in the record: the code chooses);
    /// <c>null</c> reads as <c>auto</c> too.
    /// </summary>
    public static ConfigSetting IntOrAuto(string section, string key, string doc, NumberRule rule, string covers,
                                          Func<CertifyConfig, int?> get, Func<CertifyConfig, int?, CertifyConfig> set) =>
        new(section, key, doc, rule.Expected + ", or auto", new[] { covers },
            c => get(c) is { } v ? v.ToString(CultureInfo.InvariantCulture) : "auto",
            (c, n, fail) => IsNull(n) || n is YamlScalarNode { Value: { } w } && w.Equals("auto", StringComparison.OrdinalIgnoreCase)
                ? set(c, null)
                : set(c, (int)ParseInteger(Scalar(n, fail, rule.Expected + ", or auto"), rule, int.MinValue, int.MaxValue, fail)), rule);

    /// <summary>A 64-bit integer checked by <paramref name="rule"/>; with <paramref name="nullMeans"/>, <c>null</c> stands for that value ("no limit").</summary>
    public static ConfigSetting Long(string section, string key, string doc, NumberRule rule, string covers,
                                     Func<CertifyConfig, long> get, Func<CertifyConfig, long, CertifyConfig> set, long? nullMeans = null) =>
        new(section, key, doc, rule.Expected + (nullMeans is null ? "" : ", or null for no limit"), new[] { covers },
            c => nullMeans is { } m && get(c) == m ? "null" : get(c).ToString(CultureInfo.InvariantCulture),
            (c, n, fail) => set(c, nullMeans is { } m && IsNull(n) ? m : ParseInteger(Scalar(n, fail, rule.Expected), rule, long.MinValue, long.MaxValue, fail)), rule);

    /// <summary>true or false.</summary>
    public static ConfigSetting Bool(string section, string key, string doc, string covers,
                                     Func<CertifyConfig, bool> get, Func<CertifyConfig, bool, CertifyConfig> set) =>
        new(section, key, doc, "true or false", new[] { covers }, c => get(c) ? "true" : "false",
            (c, n, fail) => Scalar(n, fail, "true or false") switch
            {
                "true" or "True" or "TRUE" => set(c, true),
                "false" or "False" or "FALSE" => set(c, false),
                var t => throw fail($"expected true or false, got '{t}'"),
            });

    /// <summary>A word from a fixed list (compared case-insensitively, written as listed).</summary>
    public static ConfigSetting Choice(string section, string key, string doc, string[] allowed, string covers,
                                       Func<CertifyConfig, string> get, Func<CertifyConfig, string, CertifyConfig> set) =>
        new(section, key, doc, "one of " + string.Join(", ", allowed), new[] { covers }, get,
            (c, n, fail) =>
            {
                var t = Scalar(n, fail, "one of " + string.Join(", ", allowed));
                var hit = allowed.FirstOrDefault(a => a.Equals(t, StringComparison.OrdinalIgnoreCase))
                          ?? throw fail($"expected one of {string.Join(", ", allowed)}, got '{t}'");
                return set(c, hit);
            });

    /// <summary>A list of reals, each checked by <paramref name="rule"/>, written as a flow sequence <c>[a, b]</c>.</summary>
    public static ConfigSetting Reals(string section, string key, string doc, NumberRule rule, string covers,
                                      Func<CertifyConfig, IReadOnlyList<double>> get, Func<CertifyConfig, IReadOnlyList<double>, CertifyConfig> set) =>
        new(section, key, doc, "a list of " + rule.Expected.Replace("a finite number", "finite numbers"), new[] { covers },
            c => "[" + string.Join(", ", get(c).Select(Number)) + "]",
            (c, n, fail) => n is YamlSequenceNode seq
                ? set(c, seq.Children.Select(x => ParseReal(Scalar(x, fail, rule.Expected), rule, fail)).ToArray())
                : throw fail($"expected a list such as [1e-05, 0.001], got '{(n as YamlScalarNode)?.Value}'"), rule);
}

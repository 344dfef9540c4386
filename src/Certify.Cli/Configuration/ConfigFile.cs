using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Certify.Cli.Configuration;

/// <summary>
/// Reads and writes configuration files (<c>specs/config.md</c>): one YAML mapping of sections (<c>verifier</c>,
/// <c>attack</c>, <c>branch_and_bound</c>, <c>exact</c>, <c>bounds</c>, <c>runner</c>), each a mapping of keys to values
/// (<see cref="ConfigSettings.All"/>). Any key may be left out; a key that is not known, a value of the wrong type or
/// outside its range, a duplicate key or malformed YAML is an error naming the file, the line and column, and the key
/// (<c>certify: cfg.yaml:7:3: branch_and_bound.batchsize: unknown key (known: ...)</c>): a typo in a benchmark's
/// settings must not run the benchmark with the defaults.
/// <para><see cref="Dump"/> writes every key with its value and a comment, in a fixed order, so that dumping a loaded
/// dump gives the same text (the round trip is tested).</para>
/// </summary>
public static class ConfigFile
{
    /// <summary>Largest configuration file read (1 MiB): a settings file is a few kilobytes.</summary>
    public const long MaxBytes = 1 << 20;

    /// <summary>Loads <paramref name="path"/> over the defaults.</summary>
    /// <exception cref="CliException">on any problem, naming the file (and line, column and key where there is one).</exception>
    public static CertifyConfig Load(string path)
    {
        if (Directory.Exists(path)) throw new CliException($"--config {path}: is a folder; give a YAML file");
        if (!File.Exists(path)) throw new CliException($"--config {path}: no such file");
        var bytes = Certify.IO.InputFile.ReadAllBytes(path, MaxBytes, problem => new CliException($"{path}: {problem}"));
        string text;
        try { text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException) { throw new CliException($"{path}: not a text file (invalid UTF-8); expected a YAML configuration"); }
        return Parse(text, path);
    }

    /// <summary>Reads configuration text over the defaults; <paramref name="name"/> names it in errors.</summary>
    public static CertifyConfig Parse(string text, string name) => Parse(text, name, new CertifyConfig());

    /// <summary>Reads configuration text over <paramref name="start"/>.</summary>
    public static CertifyConfig Parse(string text, string name, CertifyConfig start)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e)
        {
            throw new CliException($"{name}:{e.Start.Line}:{e.Start.Column}: not valid YAML: {Inner(e)}");
        }
        if (stream.Documents.Count == 0) return start;                       // an empty file: the defaults
        if (stream.Documents.Count > 1) throw At(name, stream.Documents[1].RootNode, "more than one YAML document; a configuration is one mapping");
        var root = stream.Documents[0].RootNode;
        if (root is YamlScalarNode { Value: null or "" }) return start;
        if (root is not YamlMappingNode sections)
            throw At(name, root, $"expected a mapping of sections ({string.Join(", ", ConfigSettings.Sections.Select(s => s.Name))})");
        var config = start;
        foreach (var (keyNode, body) in sections.Children)
        {
            var section = Key(name, keyNode);
            if (!ConfigSettings.Sections.Any(s => s.Name == section))
                throw At(name, keyNode, $"{section}: unknown section (known: {string.Join(", ", ConfigSettings.Sections.Select(s => s.Name))})");
            if (body is YamlScalarNode { Value: null or "" }) continue;      // "attack:" with nothing under it
            if (body is not YamlMappingNode keys) throw At(name, body, $"{section}: expected a mapping of keys to values");
            foreach (var (k, value) in keys.Children)
            {
                var key = Key(name, k);
                var setting = ConfigSettings.All.FirstOrDefault(s => s.Section == section && s.Key == key)
                    ?? throw At(name, k, $"{section}.{key}: unknown key (known in {section}: {string.Join(", ", ConfigSettings.All.Where(s => s.Section == section).Select(s => s.Key))})");
                config = setting.Read(config, value, problem => At(name, value, $"{section}.{key}: {problem}"));
            }
        }
        return config;
    }

    static string Key(string name, YamlNode node) =>
        node is YamlScalarNode { Value: { Length: > 0 } v } ? v : throw At(name, node, "expected a key name");

    static CliException At(string name, YamlNode node, string problem) => new($"{name}:{node.Start.Line}:{node.Start.Column}: {problem}");

    static string Inner(YamlException e)
    {
        // YamlDotNet's message repeats the position ("(Line: 3, Col: 5, Idx: 20) - (...): ..."): keep the words.
        var m = e.InnerException is YamlException inner ? inner.Message : e.Message;
        int cut = m.LastIndexOf("): ", StringComparison.Ordinal);
        return (cut >= 0 ? m[(cut + 3)..] : m).Split('\n')[0].Trim();
    }

    /// <summary>Every key of <paramref name="config"/> as a commented YAML file that <see cref="Parse(string, string)"/> reads back to the same settings.</summary>
    public static string Dump(CertifyConfig config)
    {
        var sb = new StringBuilder();
        sb.Append("# Certify configuration (specs/config.md): every key is optional; a key left out keeps its default.\n");
        sb.Append("# Command-line flags given explicitly override these values.\n");
        foreach (var (section, doc) in ConfigSettings.Sections)
        {
            sb.Append('\n').Append($"# {doc}\n").Append(section).Append(":\n");
            foreach (var s in ConfigSettings.All.Where(s => s.Section == section))
                sb.Append($"  # {s.Doc} ({s.Type})\n  {s.Key}: {s.Write(config)}\n");
        }
        return sb.ToString();
    }
}

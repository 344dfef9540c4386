using System.Reflection;
using Certify.Bounds;
using Certify.Cli;
using Certify.Cli.Configuration;
using Certify.Verification;
using Certify.Verification.Attack;
using Certify.Verification.Benchmarks;
using Certify.Verification.Search;

namespace Certify.Tests.Cli;

/// <summary>
/// The configuration file (<c>specs/config.md</c>): every setting of the option records is a key (or listed as not
/// configurable, with the reason), dumping and loading round-trip, errors name the file, line and key, every numeric
/// key refuses what its rule refuses, flags override the file, and the per-category VNN-COMP files are valid.
/// </summary>
public sealed class ConfigFileTests
{
    static readonly Type[] Records = { typeof(VerifierOptions), typeof(AttackOptions), typeof(CheapAttackOptions), typeof(Certify.Runtime.ThreadPolicy), typeof(BabOptions), typeof(BoundRefinementOptions), typeof(ExactOptions), typeof(BoundOptions), typeof(RunnerOptions) };

    static CliException Refused(string yaml) => Assert.Throws<CliException>(() => ConfigFile.Parse(yaml, "cfg.yaml"));

    [Fact]
    public void Every_setting_of_every_option_record_is_a_key_or_listed_as_not_configurable()
    {
        var covered = ConfigSettings.All.SelectMany(s => s.Covers).ToHashSet();
        var properties = Records.SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is not null && p.Name != "EqualityContract").Select(p => $"{t.Name}.{p.Name}")).ToList();
        var missing = properties.Where(p => !covered.Contains(p) && !ConfigSettings.NotConfigurable.ContainsKey(p)).ToList();
        Assert.True(missing.Count == 0, "settings with no configuration key: " + string.Join(", ", missing));
        var stale = covered.Concat(ConfigSettings.NotConfigurable.Keys).Where(c => !properties.Contains(c)).ToList();
        Assert.True(stale.Count == 0, "keys naming no property: " + string.Join(", ", stale));
        Assert.Equal(ConfigSettings.All.Count, ConfigSettings.All.Select(s => s.Path).Distinct().Count());
    }

    [Fact]
    public void Dump_load_dump_is_identical_for_the_defaults_and_for_a_changed_configuration()
    {
        var defaults = ConfigFile.Dump(new CertifyConfig());
        Assert.Equal(defaults, ConfigFile.Dump(ConfigFile.Parse(defaults, "dump.yaml")));
        const string changed = """
            verifier:
              timeout: 300.5
              exact: smt
              root_bounds_first: false
              root_alpha_iterations: 0
              threads: 3
              single_thread_below_work: 1000
            attack:
              seed: -7
              dtype: float64
              cheap: false
              cheap_rounds: 0
            branch_and_bound:
              strategy: relu
              method: alpha-crown
              max_domains: 5000
              tolerance: 2e-05
            exact:
              retry_margins: [0.01, 0.5]
            bounds:
              method: ibp
            runner:
              max_timeout: 30
              isolate: true
            """;
        var config = ConfigFile.Parse(changed, "changed.yaml");
        var dump = ConfigFile.Dump(config);
        Assert.Equal(dump, ConfigFile.Dump(ConfigFile.Parse(dump, "dump.yaml")));
        Assert.NotEqual(defaults, dump);
        // The values reached the records the libraries take.
        Assert.Equal(TimeSpan.FromSeconds(300.5), config.Verifier.Timeout);
        Assert.Equal(ExactStage.Smt, config.Verifier.Exact);
        Assert.Equal(-7, config.Attack.Seed);
        Assert.Equal(TorchSharp.torch.ScalarType.Float64, config.Attack.DType);
        Assert.Equal(SplitStrategy.NeuronSplit, config.Verifier.Bab.Strategy);
        Assert.Equal(BoundMethod.AlphaCrown, config.Verifier.Bab.Method);
        Assert.Equal(5000, config.Verifier.Bab.MaxDomains);
        Assert.Equal(2e-5, config.Verifier.Bab.Tolerance);
        Assert.Equal(new[] { 0.01, 0.5 }, config.Verifier.ExactSettings.RetryMargins);
        Assert.Equal(BoundMethod.Ibp, config.Bounds.Method);
        Assert.Equal(TimeSpan.FromSeconds(30), config.Runner.MaxTimeout);
        Assert.True(config.Runner.Isolate);
        Assert.False(config.Verifier.RootBoundsFirst);
        Assert.Equal(0, config.Verifier.RootAlphaIterations);
        Assert.Equal(3, config.Verifier.Threads);
        Assert.Equal(1000, config.Verifier.ThreadPolicy.SmallWork);
        Assert.False(config.Verifier.CheapAttack.Enabled);
        Assert.Equal(0, config.Verifier.CheapAttack.Rounds);
        Assert.Null(new CertifyConfig().Verifier.Threads);
        Assert.Contains("threads: auto", defaults);
        Assert.Null(ConfigFile.Parse("verifier:\n  threads: auto\n", "t.yaml").Verifier.Threads);
        // Keys left out keep their defaults.
        Assert.Equal(new BabOptions().BatchSize, config.Verifier.Bab.BatchSize);
        Assert.Equal(new AttackOptions().Iterations, config.Attack.Iterations);
        Assert.Null(new CertifyConfig().Runner.MaxTimeout);
        Assert.Equal(long.MaxValue, ConfigFile.Parse("branch_and_bound:\n  max_domains: null\n", "n.yaml").Verifier.Bab.MaxDomains);
    }

    [Fact]
    public void The_example_file_in_specs_is_the_dump_of_the_defaults_and_config_md_documents_every_key()
    {
        var example = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "specs", "examples", "config.yaml"));
        Assert.Equal(ConfigFile.Dump(new CertifyConfig()), example.Replace("\r\n", "\n"));
        var doc = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "specs", "config.md"));
        var undocumented = ConfigSettings.All.Where(s => !doc.Contains($"`{s.Path}`", StringComparison.Ordinal)).Select(s => s.Path).ToList();
        Assert.True(undocumented.Count == 0, "keys missing from specs/config.md: " + string.Join(", ", undocumented));
    }

    [Fact]
    public void An_unknown_key_or_section_is_an_error_naming_the_file_the_line_and_the_key()
    {
        var e = Refused("attack:\n  iterations: 5\n  iteratons: 3\n");
        Assert.StartsWith("cfg.yaml:3:3: attack.iteratons: unknown key", e.Message);
        Assert.Contains("iterations", e.Message);                                  // the keys that do exist
        Assert.StartsWith("cfg.yaml:3:1: atack: unknown section", Refused("verifier:\n  attack: true\natack:\n  seed: 1\n").Message);
    }

    [Theory]
    [InlineData("attack:\n  iterations: abc\n", "cfg.yaml:2:15: attack.iterations: expected an integer of at least 1, got 'abc'")]
    [InlineData("attack:\n  iterations: 2.5\n", "cfg.yaml:2:15: attack.iterations: expected an integer")]
    [InlineData("verifier:\n  attack: yes\n", "cfg.yaml:2:11: verifier.attack: expected true or false, got 'yes'")]
    [InlineData("verifier:\n  exact: gurobi\n", "cfg.yaml:2:10: verifier.exact: expected one of milp, smt, none, got 'gurobi'")]
    [InlineData("branch_and_bound:\n  batch_size: [1, 2]\n", "cfg.yaml:2:15: branch_and_bound.batch_size: expected an integer of at least 1, got a list")]
    [InlineData("exact:\n  retry_margins: 0.1\n", "cfg.yaml:2:18: exact.retry_margins: expected a list")]
    [InlineData("attack: 5\n", "cfg.yaml:1:9: attack: expected a mapping of keys to values")]
    [InlineData("- 1\n- 2\n", "cfg.yaml:1:1: expected a mapping of sections")]
    [InlineData("attack:\n  seed: 1\n  seed: 2\n", "cfg.yaml:3:3: not valid YAML: Duplicate key")]
    [InlineData("attack:\n  seed: [1\n", "cfg.yaml:")]
    public void A_value_of_the_wrong_type_is_an_error_naming_the_file_the_line_and_the_key(string yaml, string expected) =>
        Assert.StartsWith(expected, Refused(yaml).Message);

    [Fact]
    public void Every_numeric_key_refuses_nan_infinity_text_and_the_values_its_rule_refuses()
    {
        var numeric = ConfigSettings.All.Where(s => s.Rule is not null).ToList();
        Assert.True(numeric.Count >= 30, $"only {numeric.Count} numeric keys");
        var failures = new List<string>();
        foreach (var s in numeric)
        {
            var values = new[] { ".nan", ".inf", "-.inf", "NaN", "abc", "1e999" }.Concat(s.Rule!.Invalid.Select(ConfigSetting.Number));
            foreach (var v in values)
            {
                var text = s.Type.StartsWith("a list", StringComparison.Ordinal) ? $"[{v}]" : v;
                try
                {
                    ConfigFile.Parse($"{s.Section}:\n  {s.Key}: {text}\n", "cfg.yaml");
                    failures.Add($"{s.Path}: {text} accepted");
                }
                catch (CliException e) when (e.Message.StartsWith($"cfg.yaml:2:", StringComparison.Ordinal) && e.Message.Contains(s.Path, StringComparison.Ordinal)) { }
                catch (CliException e) { failures.Add($"{s.Path}: {text}: the message does not name file, line and key: {e.Message}"); }
            }
            // The default is valid: the rule is not stricter than the code it guards.
            var dflt = ConfigFile.Parse($"{s.Section}:\n  {s.Key}: {s.Write(new CertifyConfig())}\n", "cfg.yaml");
            Assert.Equal(s.Write(new CertifyConfig()), s.Write(dflt));
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void A_missing_file_a_folder_a_device_and_binary_data_are_one_line_errors()
    {
        var dir = CliFiles.TempDir();
        try
        {
            Assert.Contains("no such file", Assert.Throws<CliException>(() => ConfigFile.Load(Path.Combine(dir, "nowhere.yaml"))).Message);
            Assert.Contains("is a folder", Assert.Throws<CliException>(() => ConfigFile.Load(dir)).Message);
            Assert.Contains("/dev/zero", Assert.Throws<CliException>(() => ConfigFile.Load("/dev/zero")).Message);
            var binary = Path.Combine(dir, "binary.yaml");
            File.WriteAllBytes(binary, new byte[] { 0xff, 0xfe, 0x00, 0x80, 0x81 });
            Assert.Contains("binary.yaml", Assert.Throws<CliException>(() => ConfigFile.Load(binary)).Message);
            Assert.Equal(ConfigFile.Dump(new CertifyConfig()), ConfigFile.Dump(ConfigFile.Load(CliFiles.Write(dir, "empty.yaml", ""))));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Config_dump_on_the_command_line_applies_the_file_and_a_bad_file_exits_2_naming_file_line_and_key()
    {
        var dir = CliFiles.TempDir();
        try
        {
            var file = CliFiles.Write(dir, "c.yaml", "branch_and_bound:\n  batch_size: 64\n");
            var r = CliProcess.Run(new[] { "config", "--dump", "--config", file });
            Assert.Equal(0, r.Code);
            Assert.Equal(ConfigFile.Dump(ConfigFile.Load(file)), r.Stdout);
            Assert.Contains("  batch_size: 64\n", r.Stdout);
            // dump -> load -> dump through the command line too.
            var dumped = CliFiles.Write(dir, "dumped.yaml", r.Stdout);
            Assert.Equal(r.Stdout, CliProcess.Run(new[] { "config", "--dump", "--config", dumped }).Stdout);
            var bad = CliFiles.Write(dir, "bad.yaml", "verifier:\n  timeout: 10\nbranch_and_bound:\n  batchsize: 64\n");
            foreach (var command in new[] { new[] { "config", "--dump" }, new[] { "verify", CliFiles.IbpModel, CliFiles.Property }, new[] { "run", "list.csv" } })
            {
                var refused = CliProcess.Run(command.Concat(new[] { "--config", bad }).ToArray());
                Assert.Equal(ExitCodes.BadInput, refused.Code);
                Assert.StartsWith($"certify: {bad}:4:3: branch_and_bound.batchsize: unknown key", refused.Stderr);
                Assert.Single(refused.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_flag_typed_on_the_command_line_overrides_the_file_and_a_flag_default_does_not()
    {
        var dir = CliFiles.TempDir();
        try
        {
            var (model, sat, _) = CliFiles.Tiny(dir);
            var file = CliFiles.Write(dir, "ibp.yaml", "bounds:\n  method: ibp\n  dtype: float64\n");
            string Method(params string[] extra)
            {
                var r = CliProcess.Run(new[] { "bounds", model, sat, "--json", "--config", file }.Concat(extra).ToArray());
                Assert.True(r.Code == 0, r.Stderr);
                return ResultJsonTests.Valid(r.Stdout).GetProperty("method").GetString()!;
            }
            Assert.Equal("ibp", Method());                      // --method's default (crown) does not undo the file
            Assert.Equal("crown", Method("--method", "crown"));  // a typed flag wins
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [SkippableFact]
    public void Each_vnncomp_family_with_a_published_timeout_has_a_valid_category_config()
    {
        var configs = Path.Combine(TestPaths.RepoRoot, "benchmarks", "vnncomp", "configs");
        foreach (var f in Directory.GetFiles(configs, "*.yaml")) ConfigFile.Load(f);   // throws, naming the line, when invalid
        Assert.True(File.Exists(Path.Combine(configs, "default.yaml")));
        var bench = TestPaths.RequireBench();
        var families = Directory.GetDirectories(bench).Where(d => File.Exists(Path.Combine(d, "instances.csv"))).Select(Path.GetFileName).ToList();
        Assert.NotEmpty(families);
        var missing = families.Where(f => !File.Exists(Path.Combine(configs, System.Text.RegularExpressions.Regex.Replace(f!, "_20[0-9]{2}$", "") + ".yaml"))).ToList();
        Assert.True(missing.Count == 0, "families without a category config: " + string.Join(", ", missing));
    }
}

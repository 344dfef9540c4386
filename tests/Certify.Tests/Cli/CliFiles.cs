using Certify.Tests.Hostile;

namespace Certify.Tests.Cli;

/// <summary>The inputs the command-line tests share: the bundled examples, a tiny network with known answers, and a work-budget configuration.</summary>
public static class CliFiles
{
    /// <summary>A file under <c>examples/mnist</c>.</summary>
    public static string Example(string relative) => Path.Combine(TestPaths.RepoRoot, "examples", "mnist", relative);

    /// <summary>The IBP-trained example (its test digit 1 at eps 0.1 is unsat), the normally trained one (sat), and that property.</summary>
    public static string IbpModel => Example("cnn-small-ibp.onnx");
    public static string StandardModel => Example("cnn-small-standard.onnx");
    public static string Property => Example("properties/mnist_test0001_eps0.1.vnnlib");

    /// <summary>
    /// A configuration in which every stage ends by work, not time (<see cref="WorkBudgets"/>): one short attack round,
    /// at most 10,000 sub-domains, no exact stage, and time limits that are only hang guards.
    /// </summary>
    public const string WorkBudgetYaml = """
        verifier:
          timeout: 600
          attack_share: 0.5
          attack_max_time: 600
          exact: none
        attack:
          max_rounds: 1
          iterations: 20
          restarts_per_disjunct: 8
          random_samples: 256
        branch_and_bound:
          max_domains: 10000
        """;

    /// <summary>A fresh temporary folder, removed by the caller.</summary>
    public static string TempDir() => Directory.CreateTempSubdirectory("certify-cli-").FullName;

    /// <summary>Writes <paramref name="text"/> to <paramref name="name"/> in <paramref name="dir"/>.</summary>
    public static string Write(string dir, string name, string text)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The tiny ground-truth network of the hostile corpus (<see cref="GroundTruthModels"/>) with a sat and an unsat property.</summary>
    public static (string Model, string Sat, string Unsat) Tiny(string dir)
    {
        var model = Path.Combine(dir, "tiny.onnx");
        File.WriteAllBytes(model, GroundTruthModels.OnnxBytes());
        return (model, Write(dir, "tiny-sat.vnnlib", GroundTruthModels.Property(GroundTruthModels.Reachable)),
                Write(dir, "tiny-unsat.vnnlib", GroundTruthModels.Property(GroundTruthModels.Unreachable)));
    }
}

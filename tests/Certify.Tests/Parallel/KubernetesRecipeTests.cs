using YamlDotNet.RepresentationModel;

namespace Certify.Tests.Parallel;

/// <summary>
/// The Kubernetes recipe cannot run here (no cluster), so what can go wrong without one is checked: the manifests are
/// valid YAML Jobs, the shard Job is Indexed, its shard count (<c>completions</c>) is the N its pods use (<c>SHARDS</c>),
/// the pods turn the 0-based completion index into run's 1-based shard, and the merge Job merges the same N and list.
/// </summary>
public sealed class KubernetesRecipeTests
{
    static readonly string Folder = Path.Combine(TestPaths.RepoRoot, "benchmarks", "cluster", "kubernetes");

    static YamlMappingNode Load(string file)
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Folder, file));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents.Single().RootNode;
    }

    static YamlNode At(YamlNode node, params object[] path)
    {
        foreach (var step in path)
            node = step is int i ? ((YamlSequenceNode)node).Children[i] : ((YamlMappingNode)node).Children[new YamlScalarNode((string)step)];
        return node;
    }

    static string Env(YamlNode container, string name) =>
        ((YamlSequenceNode)At(container, "env")).Children.Cast<YamlMappingNode>().Single(e => At(e, "name").ToString() == name)["value"].ToString();

    [Fact]
    public void The_indexed_job_runs_every_shard_once_and_the_merge_job_joins_them()
    {
        var shards = Load("shards-job.yaml");
        Assert.Equal("Job", At(shards, "kind").ToString());
        Assert.Equal("Indexed", At(shards, "spec", "completionMode").ToString());
        var n = At(shards, "spec", "completions").ToString();
        var container = At(shards, "spec", "template", "spec", "containers", 0);
        Assert.Equal(n, Env(container, "SHARDS"));
        var script = At(container, "args", 0).ToString();
        Assert.Contains("k=$((JOB_COMPLETION_INDEX + 1))", script);
        Assert.Contains("--shard \"$k/$SHARDS\"", script);
        Assert.Contains("shard-$k-of-$SHARDS.csv", script);
        Assert.True(int.Parse(At(shards, "spec", "parallelism").ToString()) <= int.Parse(n));
        Assert.Equal(Env(container, "CERTIFY_THREADS"), At(container, "resources", "requests", "cpu").ToString());

        var merge = Load("merge-job.yaml");
        var mergeContainer = At(merge, "spec", "template", "spec", "containers", 0);
        Assert.Equal(n, Env(mergeContainer, "SHARDS"));
        Assert.Equal(Env(container, "LIST"), Env(mergeContainer, "LIST"));
        var mergeScript = At(mergeContainer, "args", 0).ToString();
        Assert.Contains("shard-$k-of-$SHARDS.csv", mergeScript);
        Assert.Contains("certify merge", mergeScript);
        Assert.Contains("--instances \"$LIST\"", mergeScript);
    }
}

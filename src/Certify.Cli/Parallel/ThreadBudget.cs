using System.Globalization;

namespace Certify.Cli.Parallel;

/// <summary>
/// How many libtorch intra-op threads a <c>certify run</c> may use. Left alone, libtorch starts one per core in every
/// process, so N workers on C cores ran N x C threads that took the cores from each other (and a Slurm or Kubernetes
/// task given 4 of a node's 64 cores still started 64). <c>run --jobs N</c> gives each worker <c>cores / N</c> threads
/// (at least one, and never more workers than cores), so threads x workers never exceed the cores.
/// <para>The budget travels in the environment, where a scheduler can set it as well: <see cref="Variable"/>
/// (<c>CERTIFY_THREADS</c>), read by every <c>run</c> (<see cref="Apply"/>), and libtorch's own <c>OMP_NUM_THREADS</c> and
/// <c>MKL_NUM_THREADS</c>, which it reads when it starts, before any Certify code runs. Set for a <c>run --jobs N</c>,
/// it is the whole run's budget, divided among the workers: a Slurm task without CPU affinity (<c>task/none</c>) sees
/// every core of its node, not the ones it was given.</para>
/// </summary>
public static class ThreadBudget
{
    /// <summary>The environment variable holding the budget: a whole number of at least 1.</summary>
    public const string Variable = Certify.Runtime.ThreadPolicy.EnvironmentVariable;

    /// <summary>The cores this process may run on (the affinity mask and the container's CPU limit count).</summary>
    public static int Cores => System.Environment.ProcessorCount;

    /// <summary>The threads of each of <paramref name="workers"/> workers on <paramref name="cores"/> cores: an equal share, at least 1.</summary>
    public static int PerWorker(int workers, int cores) => Math.Max(1, cores / Math.Max(1, workers));

    /// <summary>The environment that gives a child process <paramref name="threads"/> libtorch threads.</summary>
    public static IReadOnlyDictionary<string, string?> Environment(int threads)
    {
        var t = threads.ToString(CultureInfo.InvariantCulture);
        return new Dictionary<string, string?> { [Variable] = t, ["OMP_NUM_THREADS"] = t, ["MKL_NUM_THREADS"] = t };
    }

    /// <summary>
    /// Applies <see cref="Variable"/> to this process's libtorch when it is set; returns the budget, or null when it is not
    /// set (libtorch's own choice stands).
    /// </summary>
    /// <exception cref="CliException">when the variable is set to anything but a positive whole number (<see cref="Certify.Runtime.ThreadPolicy.Parse"/>).</exception>
    public static int? Apply()
    {
        int? n;
        try { n = Certify.Runtime.ThreadPolicy.Parse(Variable, System.Environment.GetEnvironmentVariable(Variable)); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
        if (n is null) return null;
        TorchSharp.torch.set_num_threads(n.Value);
        return n;
    }
}

using System.Globalization;

namespace Certify.Runtime;

/// <summary>
/// How many intra-op threads libtorch uses for a verification, chosen from the work and the machine's load instead of
/// libtorch's default (one per core).
/// <para>
/// Why: libtorch's intra-op pool splits every large enough operation over its threads and waits for all of them at a
/// barrier. When the tensors are small the split costs more than it saves, and when the cores are busy with other
/// processes a thread that is not scheduled holds up the barrier for everyone. Both were measured on the 2-core
/// development machine (<c>benchmarks/verification/README.md</c>): under load, the alpha-CROWN root bound of an
/// mnist_fc property took 2.9 s with two threads and 0.13 s with one, and whole branch and bound runs were 2-10x faster
/// with one thread; ACAS Xu 1_8 prop_2 went from 3.4 s idle to 63 s loaded.
/// </para>
/// <para>
/// The rule (<see cref="Choose"/>): an explicit count wins (an option, a configuration file, then the
/// <c>CERTIFY_THREADS</c> environment variable, then <c>OMP_NUM_THREADS</c>, which libtorch itself honours); otherwise one
/// thread when the work is small (<see cref="SmallWork"/>) or when the 1-minute load average of the machine
/// (<c>/proc/loadavg</c>) is at least <see cref="LoadPerCore"/> times the core count; otherwise one thread per core. The
/// thresholds are judgement, not a measured optimum: the small-work one sits near libtorch's own grain size for
/// splitting element-wise loops (32,768 elements), above which a split can pay off at all.
/// </para>
/// </summary>
public sealed record ThreadPolicy
{
    /// <summary>The environment variable that fixes the count for every run of a process (and of its children).</summary>
    public const string EnvironmentVariable = "CERTIFY_THREADS";

    /// <summary>
    /// Work (a batch's rows times the widest layer's elements per row) below which one thread is used: its tensors are
    /// too small for a split to pay for the barrier.
    /// </summary>
    public long SmallWork { get; init; } = 1 << 16;

    /// <summary>One thread when the 1-minute load average is at least this many times the core count (the cores are busy).</summary>
    public double LoadPerCore { get; init; } = 1.0;

    /// <summary>
    /// The thread count for work of <paramref name="work"/> elements (rows × widest layer) on a machine with
    /// <paramref name="cores"/> cores and 1-minute load average <paramref name="load"/> (null: unknown, e.g. not Linux).
    /// <paramref name="explicitThreads"/> (an option or the environment, see <see cref="FromEnvironment"/>) wins when set.
    /// </summary>
    public ThreadChoice Choose(long work, int cores, double? load, int? explicitThreads)
    {
        if (explicitThreads is { } n) return new ThreadChoice(Math.Max(1, n), "set explicitly");
        if (cores <= 1) return new ThreadChoice(1, "one core");
        if (work < SmallWork) return new ThreadChoice(1, $"small work ({work} < {SmallWork} elements)");
        if (load is { } l && l >= LoadPerCore * cores)
            return new ThreadChoice(1, $"machine loaded (load average {l.ToString("0.##", CultureInfo.InvariantCulture)} on {cores} cores)");
        return new ThreadChoice(cores, $"{cores} cores" + (load is { } m ? $", load average {m.ToString("0.##", CultureInfo.InvariantCulture)}" : ""));
    }

    /// <summary>
    /// <see cref="Choose"/> for this machine: <paramref name="option"/> if set, else <see cref="FromEnvironment"/>, else
    /// the rule on <see cref="Environment.ProcessorCount"/> and <see cref="LoadAverage"/>.
    /// </summary>
    public ThreadChoice ChooseHere(long work, int? option) =>
        Choose(work, Environment.ProcessorCount, LoadAverage(), option ?? FromEnvironment());

    /// <summary>
    /// Sets libtorch's intra-op thread count to <paramref name="choice"/> until the returned scope is disposed, which
    /// restores the count found before (a library call must not change a process-wide setting for good: the test suite
    /// fixes one thread for itself, <c>tests/Certify.Tests/TorchThreads.cs</c>).
    /// </summary>
    public static IDisposable Apply(ThreadChoice choice)
    {
        int before = TorchSharp.torch.get_num_threads();
        if (before != choice.Threads) TorchSharp.torch.set_num_threads(choice.Threads);
        return new Restore(before, choice.Threads);
    }

    sealed class Restore(int before, int set) : IDisposable
    {
        bool _done;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            if (before != set) TorchSharp.torch.set_num_threads(before);
        }
    }

    /// <summary>
    /// The count fixed by the environment: <c>CERTIFY_THREADS</c>, else <c>OMP_NUM_THREADS</c> (a positive integer); null
    /// when neither is set. A value that is not a positive integer is an error naming the variable.
    /// </summary>
    /// <exception cref="ArgumentException">when a variable is set to something other than a positive integer.</exception>
    public static int? FromEnvironment() =>
        Parse(EnvironmentVariable, Environment.GetEnvironmentVariable(EnvironmentVariable))
        ?? Parse("OMP_NUM_THREADS", Environment.GetEnvironmentVariable("OMP_NUM_THREADS"));

    /// <summary>A thread count from an environment variable's text; null when unset or empty.</summary>
    /// <exception cref="ArgumentException">when the text is not a positive integer.</exception>
    public static int? Parse(string name, string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1) return n;
        throw new ArgumentException($"{name}={text}: expected a positive integer (the number of libtorch threads)");
    }

    /// <summary>The machine's 1-minute load average from <c>/proc/loadavg</c>, or null where it cannot be read.</summary>
    public static double? LoadAverage()
    {
        try { return ParseLoadAverage(File.ReadAllText("/proc/loadavg")); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException) { return null; }
    }

    /// <summary>The first field of <c>/proc/loadavg</c>'s text ("0.52 0.58 0.59 1/345 12345"), or null if malformed.</summary>
    public static double? ParseLoadAverage(string text)
    {
        var first = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return first is not null && double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && v >= 0 ? v : null;
    }
}

/// <summary>A thread count and why it was chosen (for the run's log).</summary>
/// <param name="Threads">libtorch intra-op threads, at least 1.</param>
/// <param name="Reason">The rule that decided, in words.</param>
public sealed record ThreadChoice(int Threads, string Reason)
{
    public override string ToString() => $"{Threads} libtorch thread{(Threads == 1 ? "" : "s")} ({Reason})";
}

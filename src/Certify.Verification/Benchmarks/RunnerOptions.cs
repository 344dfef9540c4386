namespace Certify.Verification.Benchmarks;

/// <summary>
/// Settings of a run over an instance list (<c>certify run</c>, section <c>runner</c> of a configuration file): how each
/// instance's time limit is derived from the list's, and whether instances run in this process or one process each.
/// The verification settings of every instance are the <see cref="VerifierOptions"/> given beside these, with the
/// instance's own limit as <see cref="VerifierOptions.Timeout"/>.
/// </summary>
public sealed record RunnerOptions
{
    /// <summary>Every instance's limit from the list is multiplied by this (finite, greater than 0).</summary>
    public double TimeoutScale { get; init; } = 1.0;

    /// <summary>A cap on every instance's limit after scaling; null means none.</summary>
    public TimeSpan? MaxTimeout { get; init; }

    /// <summary>
    /// Run each instance as its own <c>certify verify</c> process, as VNN-COMP's scripts do: a crash then costs one
    /// instance, not the run (about a second more per instance).
    /// </summary>
    public bool Isolate { get; init; }

    /// <summary>The limit of an instance whose list gives <paramref name="listSeconds"/>: scaled, then capped.</summary>
    public double InstanceSeconds(double listSeconds)
    {
        var t = listSeconds * TimeoutScale;
        return MaxTimeout is { } cap ? Math.Min(t, cap.TotalSeconds) : t;
    }
}

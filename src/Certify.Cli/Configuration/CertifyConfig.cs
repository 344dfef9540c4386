using Certify.Bounds;
using Certify.Verification;
using Certify.Verification.Attack;
using Certify.Verification.Benchmarks;

namespace Certify.Cli.Configuration;

/// <summary>
/// Every setting a configuration file (<c>--config FILE</c>, <c>specs/config.md</c>) can hold, as the immutable option
/// records the libraries take: the verification (<see cref="Verifier"/>, with the attack's schedule, branch and bound,
/// and the exact back-ends inside it), the bound engine of <c>certify bounds</c> (<see cref="Bounds"/>) and the runner of
/// <c>certify run</c> (<see cref="Runner"/>). A file changes only the keys it names; command-line flags are applied on
/// top of the loaded configuration by each command (a flag given explicitly wins, a flag's default does not).
/// </summary>
public sealed record CertifyConfig
{
    /// <summary>The verification settings; <see cref="VerifierOptions.AttackSchedule"/> is always set (to the defaults when no file names it).</summary>
    public VerifierOptions Verifier { get; init; } = new() { AttackSchedule = new AttackOptions() };

    /// <summary>The bound engine's settings for <c>certify bounds</c> (branch and bound takes its own from <see cref="Verifier"/>'s <c>Bab</c>).</summary>
    public BoundOptions Bounds { get; init; } = new();

    /// <summary>The runner's settings for <c>certify run</c>.</summary>
    public RunnerOptions Runner { get; init; } = new();

    /// <summary>The attack schedule (never null).</summary>
    public AttackOptions Attack => Verifier.AttackSchedule ?? new AttackOptions();
}

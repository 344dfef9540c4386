namespace Certify.Verification.Attack;

/// <summary>
/// The short attack the verifier runs before any bound (<see cref="VerifierOptions.CheapAttack"/>): the full schedule
/// (<see cref="VerifierOptions.AttackSchedule"/>) cut down to a few samples, restarts and steps, so that it ends by work
/// in milliseconds on small networks. It catches the many sat instances that fall to the first samples or the first
/// gradient steps before any bound is paid for; the full attack still runs after the root bounds when they do not
/// prove the property (see <see cref="Verifier"/>), so what the full attack used to find is not given up.
/// <para>The defaults are small on purpose: on the README's first example (a small MNIST CNN, 9 disjuncts) 20 steps of
/// 8 restarts per disjunct took 1.1 s on a heavily loaded 2-core machine where its CROWN proof took 0.2 s; 10 steps of 4
/// restarts cost about a quarter of that. Random samples need no gradient and are kept at 256.</para>
/// <para>Each limit is applied as a minimum with the full schedule's (<see cref="Limit"/>): a schedule that does no work
/// (no samples, no rounds) makes the cheap attack do none either, and the seed, dtype and step sizes are the full
/// schedule's.</para>
/// </summary>
public sealed record CheapAttackOptions
{
    /// <summary>
    /// Run the cheap attack (when the attack is on at all, <see cref="VerifierOptions.Attack"/>, and the root bounds run
    /// first, <see cref="VerifierOptions.RootBoundsFirst"/>: it exists to go before them).
    /// </summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Most uniform random samples per region (the box corners of a small input are tried as well).</summary>
    public int RandomSamples { get; init; } = 256;

    /// <summary>Most rounds of restarts per region.</summary>
    public int Rounds { get; init; } = 1;

    /// <summary>Most gradient steps per round.</summary>
    public int Iterations { get; init; } = 10;

    /// <summary>Most restarts per unsafe disjunct in a round.</summary>
    public int RestartsPerDisjunct { get; init; } = 4;

    /// <summary>The schedule of the cheap attack: <paramref name="full"/> with each of these limits applied.</summary>
    public AttackOptions Limit(AttackOptions full) => full with
    {
        RandomSamples = Math.Min(full.RandomSamples, RandomSamples),
        MaxRounds = Math.Min(full.MaxRounds, Rounds),
        Iterations = Math.Min(full.Iterations, Iterations),
        RestartsPerDisjunct = Math.Min(full.RestartsPerDisjunct, RestartsPerDisjunct),
    };
}

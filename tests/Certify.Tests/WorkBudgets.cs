using Certify.Verification;
using Certify.Verification.Attack;
using Certify.Verification.Search;

namespace Certify.Tests;

/// <summary>
/// The rule of the house: no test depends on wall-clock speed. A test gives the code under test a budget in work
/// (sub-domains, attack rounds and iterations, boxes) and a time limit only as <see cref="HangGuard"/>, which a normal run
/// never reaches, even on a loaded 2-core machine: a verdict asserted by a test must come from the work budget, never
/// from how far a stage got before a clock ran out. A test that reaches the guard fails (its asserted verdict needs the
/// stage to finish), so a verifier that never answers is still caught.
/// </summary>
public static class WorkBudgets
{
    /// <summary>The only time limit a test hands to the code under test: a guard against a hang, not a budget.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(10);

    /// <summary>
    /// A PGD schedule that ends by work: <paramref name="rounds"/> rounds of <paramref name="iterations"/> gradient steps
    /// (after the corners of a small box and 1024 random samples) per region, with <see cref="HangGuard"/> as its time limit.
    /// </summary>
    public static AttackOptions Attack(int rounds = 2, int iterations = 50) =>
        new() { MaxRounds = rounds, Iterations = iterations, TimeLimit = HangGuard };

    /// <summary>
    /// Verifier settings in which every stage that runs ends by work: the attack after <paramref name="attackRounds"/>
    /// rounds (<see cref="Attack"/>; 0 switches it off; its time share is half the guard, so it never ends it), branch
    /// and bound after <paramref name="maxDomains"/> sub-domains per region, and no MILP stage (SCIP's search ends only at
    /// the deadline). An instance the budget cannot decide answers unknown, so a test asserting sat or unsat fails then.
    /// </summary>
    public static VerifierOptions Verifier(long maxDomains, int attackRounds = 1, BabOptions? bab = null) => new()
    {
        Timeout = HangGuard,
        Attack = attackRounds > 0,
        AttackShare = 0.5,
        AttackMaxTime = HangGuard,
        AttackSchedule = Attack(Math.Max(0, attackRounds)),
        Exact = ExactStage.None,
        Bab = (bab ?? new BabOptions()) with { MaxDomains = maxDomains },
    };
}

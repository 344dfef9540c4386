namespace Certify.Verification.Attack;

/// <summary>What one run of <see cref="PgdAttack.Attack"/> found and how much it did.</summary>
/// <param name="Sat">The reproduced counterexample, or null.</param>
/// <param name="BestMargin">
/// The smallest margin seen at any point (min over disjuncts of max over rows of <c>C·y − D</c>, in the attack's own
/// arithmetic): an upper bound of the true minimum margin when positive; +inf when no point was evaluated.
/// </param>
/// <param name="PointsEvaluated">Points whose margin was computed (corners, samples, and every row of every step).</param>
/// <param name="GradientSteps">Batched gradient steps taken, over all rounds and regions.</param>
public sealed record AttackOutcome(Verdict? Sat, double BestMargin, long PointsEvaluated, long GradientSteps)
{
    /// <summary>The work done, for a run's steps ("1,304 points, 20 gradient steps").</summary>
    public string WorkText => $"{PointsEvaluated} points, {GradientSteps} gradient steps";
}

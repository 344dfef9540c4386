namespace Certify.Training.Training;

/// <summary>Shape of a ramp between its start and end value.</summary>
public enum RampShape
{
    /// <summary>Straight line (Gowal et al. 2018, Zhang et al. 2020).</summary>
    Linear,

    /// <summary>
    /// Quadratic start joined smoothly (equal value and slope) to a straight line at a quarter of the ramp, so the
    /// first, most fragile steps away from zero grow slowly (in the spirit of Shi et al. 2021's warm-up).
    /// </summary>
    Smooth,
}

/// <summary>
/// A value that stays at <see cref="Start"/> for <see cref="HoldSteps"/> optimiser steps, moves to <see cref="End"/> over
/// the next <see cref="RampSteps"/> steps, then stays at <see cref="End"/>. Used for epsilon (0 → ε_train), kappa
/// (the weight of the clean loss, 1 → κ_end) and CROWN-IBP's beta (1 → 0).
/// </summary>
public sealed record RampSchedule(double Start, double End, long HoldSteps, long RampSteps, RampShape Shape = RampShape.Linear)
{
    /// <summary>Fraction of the joint <see cref="RampShape.Smooth"/> where the quadratic part ends.</summary>
    const double SmoothJoint = 0.25;

    /// <summary>A schedule that is <paramref name="value"/> throughout.</summary>
    public static RampSchedule Constant(double value) => new(value, value, 0, 0);

    /// <summary>The value at optimiser step <paramref name="step"/> (0-based).</summary>
    public double At(long step)
    {
        if (step < HoldSteps) return Start;
        if (RampSteps <= 0 || step >= HoldSteps + RampSteps) return End;
        double t = (double)(step - HoldSteps) / RampSteps; // in [0, 1)
        return Start + (End - Start) * Progress(t);
    }

    /// <summary>Fraction of the way from start to end at ramp position <paramref name="t"/> ∈ [0, 1].</summary>
    double Progress(double t)
    {
        if (Shape == RampShape.Linear) return t;
        // f(t) = a t² on [0, m], then b t + (1 - b): value and slope agree at m and f(1) = 1.
        double m = SmoothJoint, b = 1 / (1 - m / 2), a = b / (2 * m);
        return t < m ? a * t * t : b * t + (1 - b);
    }
}

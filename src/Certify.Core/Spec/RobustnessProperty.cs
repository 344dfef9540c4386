namespace Certify.Spec;

/// <summary>Builds local-robustness properties (the L∞ ball around a sample keeps its label).</summary>
public static class RobustnessProperty
{
    /// <summary>
    /// The property "every input within <paramref name="epsilon"/> (L∞) of <paramref name="x"/>, clamped to
    /// [<paramref name="min"/>, <paramref name="max"/>], is classified as <paramref name="label"/>". Its unsafe condition
    /// is <c>OR over j ≠ label of (y_label − y_j ≤ 0)</c>, one conjunction per other class in class order; ties count as
    /// violations, as in VNN-COMP. Box ends that <c>x ± ε</c> rounds are widened outward by one ulp so the box always
    /// contains the real-number ball.
    /// </summary>
    /// <exception cref="ArgumentException">bad label, class count, epsilon, range or a non-finite input.</exception>
    public static Specification Create(double[] x, int label, double epsilon, int numClasses, double min = 0, double max = 1)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Length == 0) throw new ArgumentException("the input must not be empty", nameof(x));
        if (numClasses < 2) throw new ArgumentException($"need at least 2 classes, got {numClasses}", nameof(numClasses));
        if (label < 0 || label >= numClasses) throw new ArgumentException($"label {label} is outside 0..{numClasses - 1}", nameof(label));
        if (!(epsilon >= 0) || !double.IsFinite(epsilon)) throw new ArgumentException($"epsilon must be finite and >= 0, got {epsilon}", nameof(epsilon));
        if (!(min <= max)) throw new ArgumentException($"min ({min}) must not exceed max ({max})", nameof(min));
        var lower = new double[x.Length];
        var upper = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            if (!double.IsFinite(x[i])) throw new ArgumentException($"x[{i}] is {x[i]}", nameof(x));
            lower[i] = Math.Clamp(Outward(x[i], -epsilon), min, max);
            upper[i] = Math.Clamp(Outward(x[i], epsilon), min, max);
        }
        var disjuncts = new List<Conjunction>(numClasses - 1);
        for (int j = 0; j < numClasses; j++)
        {
            if (j == label) continue;
            var c = new double[numClasses];
            c[label] = 1;
            c[j] = -1;
            disjuncts.Add(new Conjunction(new[] { new HalfSpace(c, 0) }));
        }
        return new Specification(new[] { new InputRegion(lower, upper, new OutputCondition(disjuncts)) }, x.Length, numClasses);
    }

    /// <summary><c>a + b</c> rounded away from <c>a</c> in the direction of <c>b</c> when the sum is inexact.</summary>
    static double Outward(double a, double b)
    {
        double s = a + b;
        double bb = s - a;
        double err = (a - (s - bb)) + (b - bb); // exact rounding error of the sum (TwoSum)
        if (b > 0 && err > 0) return Math.BitIncrement(s);
        if (b < 0 && err < 0) return Math.BitDecrement(s);
        return s;
    }
}

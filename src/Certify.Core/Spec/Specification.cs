namespace Certify.Spec;

/// <summary>One linear half-space over the flattened network output: the row holds when <c>C·y ≤ D</c>.</summary>
/// <param name="C">Coefficients, one per output (length = output size).</param>
/// <param name="D">Right-hand side.</param>
public sealed record HalfSpace(double[] C, double D)
{
    /// <summary>Value of <c>C·y</c>.</summary>
    public double Evaluate(ReadOnlySpan<double> y)
    {
        double s = 0;
        for (int i = 0; i < C.Length; i++) s += C[i] * y[i];
        return s;
    }

    /// <summary>True when <c>C·y ≤ D</c> (with an optional tolerance added to D).</summary>
    public bool HoldsAt(ReadOnlySpan<double> y, double tolerance = 0) => Evaluate(y) <= D + tolerance;
}

/// <summary>A conjunction of half-spaces: all rows must hold.</summary>
public sealed record Conjunction(IReadOnlyList<HalfSpace> Rows)
{
    public bool HoldsAt(ReadOnlySpan<double> y, double tolerance = 0)
    {
        foreach (var r in Rows) if (!r.HoldsAt(y, tolerance)) return false;
        return true;
    }
}

/// <summary>
/// A condition on the output in disjunctive normal form: it holds when any of its conjunctions holds. In a
/// <see cref="Specification"/> it describes the UNSAFE outputs (as VNNLIB does): the property is violated when an input in
/// the region produces an output that satisfies it.
/// </summary>
public sealed record OutputCondition(IReadOnlyList<Conjunction> Disjuncts)
{
    public bool HoldsAt(ReadOnlySpan<double> y, double tolerance = 0)
    {
        foreach (var d in Disjuncts) if (d.HoldsAt(y, tolerance)) return true;
        return false;
    }

    /// <summary>All rows, disjunct by disjunct, in file order, each with its disjunct index.</summary>
    public IEnumerable<(int Clause, HalfSpace Row)> Rows =>
        Disjuncts.SelectMany((d, k) => d.Rows.Select(r => (k, r)));
}

/// <summary>An input box and the unsafe output condition that applies inside it.</summary>
/// <param name="Lower">Lower bound per input (flattened, length = input size).</param>
/// <param name="Upper">Upper bound per input.</param>
/// <param name="Unsafe">Outputs that violate the property for inputs in this box.</param>
public sealed record InputRegion(double[] Lower, double[] Upper, OutputCondition Unsafe)
{
    /// <summary>True when <paramref name="x"/> is inside the box, allowing <paramref name="tolerance"/> outside it.</summary>
    public bool Contains(ReadOnlySpan<double> x, double tolerance = 0)
    {
        for (int i = 0; i < Lower.Length; i++)
            if (x[i] < Lower[i] - tolerance || x[i] > Upper[i] + tolerance) return false;
        return true;
    }
}

/// <summary>
/// A verification problem's property: the network is safe when, for every region, no input in the box produces an
/// output in the region's unsafe condition. <c>unsat</c> = safe (no counterexample), <c>sat</c> = a counterexample exists.
/// </summary>
/// <param name="Regions">Input boxes, each with its own unsafe output condition (a top-level disjunction over inputs).</param>
/// <param name="InputSize">Number of input variables (X_0 … X_{n-1}).</param>
/// <param name="OutputSize">Number of output variables (Y_0 … Y_{m-1}).</param>
/// <param name="Source">The file it came from, if any.</param>
public sealed record Specification(IReadOnlyList<InputRegion> Regions, int InputSize, int OutputSize, string? Source = null)
{
    /// <summary>True when (x, y) is a counterexample: x lies in some region's box (within tolerance) and y is unsafe there.</summary>
    public bool IsCounterexample(ReadOnlySpan<double> x, ReadOnlySpan<double> y, double inputTolerance = 1e-6, double outputTolerance = 0)
    {
        foreach (var r in Regions)
            if (r.Contains(x, inputTolerance) && r.Unsafe.HoldsAt(y, outputTolerance)) return true;
        return false;
    }
}

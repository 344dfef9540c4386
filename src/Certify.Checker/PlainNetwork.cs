namespace Certify.Checker;

/// <summary>One step of a <see cref="PlainNetwork"/>: a function of the previous step's output (the first step's input is the network input).</summary>
public abstract record Step(string Name)
{
    /// <summary>Length of the step's output.</summary>
    public abstract int OutputSize { get; }

    /// <summary>The step in plain double arithmetic (for the comparison with a reference runtime, not for bounds).</summary>
    public abstract double[] Run(double[] x);
}

/// <summary><c>y = W·x + b</c>, W row-major <c>[Out, In]</c>. Gemm, MatMul, Add/Sub/Mul by constants and BatchNorm all become this.</summary>
public sealed record AffineStep(string Name, int In, int Out, double[] W, double[] B) : Step(Name)
{
    public override int OutputSize => Out;

    public override double[] Run(double[] x)
    {
        var y = new double[Out];
        for (int i = 0; i < Out; i++)
        {
            double s = B[i];
            for (int j = 0; j < In; j++) s += W[i * In + j] * x[j];
            y[i] = s;
        }
        return y;
    }
}

/// <summary>
/// <c>y = x</c> for x ≥ 0 and <c>y = a·x</c> below, elementwise, with <c>a</c> = <see cref="NegativeSlope"/> in [0, 1]:
/// ReLU for a = 0, LeakyReLU otherwise. On that range the function is convex and nondecreasing, which is all the rules use.
/// </summary>
public sealed record ReluStep(string Name, int Size, double NegativeSlope = 0) : Step(Name)
{
    public override int OutputSize => Size;
    public override double[] Run(double[] x) => x.Select(v => v >= 0 ? v : NegativeSlope * v).ToArray();

    /// <summary>Slope CROWN picks for the lower line of an unstable neuron on [l, u]: 1 where u &gt; −l, else a.</summary>
    public double Adaptive(double l, double u) => u > -l ? 1 : NegativeSlope;

    /// <summary>Whether <paramref name="s"/> is a valid lower-line slope through the origin: s ∈ [a, 1].</summary>
    public bool ValidSlope(double s) => s >= NegativeSlope && s <= 1;

    /// <summary>
    /// The chord <c>y ≤ s·z + t</c> over [l, u] (l &lt; 0 &lt; u): s is any double near the chord's slope, and t is rounded
    /// up so that the line lies above the function at both ends (s·l + t ≥ a·l and s·u + t ≥ u in real arithmetic), hence,
    /// the function being convex, on all of [l, u].
    /// </summary>
    public (double S, double T) Chord(double l, double u)
    {
        double a = NegativeSlope;
        double s = (u - a * l) / (u - l);
        double t = Math.Max(Outward.SubUp(Outward.MulUp(a, l), Outward.MulDown(s, l)), Outward.SubUp(u, Outward.MulDown(s, u)));
        return (s, t);
    }
}

/// <summary>
/// <c>y_i = max_{j ∈ Windows[i]} x_j</c>: max pooling, each output the maximum of its window of inputs (flat indices;
/// padding is simply absent from a window). Max is exact in floating point, so only the relaxations need care.
/// </summary>
public sealed record MaxPoolStep(string Name, int In, int[][] Windows) : Step(Name)
{
    public override int OutputSize => Windows.Length;
    public override double[] Run(double[] x) => Windows.Select(w => w.Max(j => x[j])).ToArray();
}

/// <summary>
/// The network as the checker sees it: a chain of affine maps, ReLUs and max poolings over flat double vectors, with its own copies of
/// the weights. The checker trusts only this form, and only after <see cref="CompareWith"/> agreed with an independent
/// runtime (ONNX Runtime) on sample points: whoever built it (Certify's importer) is thereby checked, not trusted.
/// </summary>
public sealed class PlainNetwork
{
    public PlainNetwork(int inputSize, IReadOnlyList<Step> steps)
    {
        int n = inputSize;
        foreach (var s in steps)
        {
            if (s is AffineStep a && (a.In != n || a.W.Length != a.In * a.Out || a.B.Length != a.Out))
                throw new CertificateException($"network step '{s.Name}': shapes do not chain ({n} in, weight {a.Out}x{a.In})");
            if (s is ReluStep r && r.Size != n) throw new CertificateException($"network step '{s.Name}': size {r.Size}, previous {n}");
            if (s is ReluStep q && !(q.NegativeSlope >= 0 && q.NegativeSlope <= 1))
                throw new CertificateException($"network step '{s.Name}': negative slope {q.NegativeSlope} outside [0, 1]");
            if (s is MaxPoolStep m && (m.In != n || m.Windows.Any(w => w.Length == 0 || w.Any(j => j < 0 || j >= n))))
                throw new CertificateException($"network step '{s.Name}': a pooling window is empty or outside the {n} inputs");
            if (s is AffineStep f && (f.W.Any(v => !double.IsFinite(v)) || f.B.Any(v => !double.IsFinite(v))))
                throw new CertificateException($"network step '{s.Name}': a weight is not finite");
            n = s.OutputSize;
        }
        InputSize = inputSize;
        Steps = steps;
        OutputSize = n;
    }

    public int InputSize { get; }
    public int OutputSize { get; }
    public IReadOnlyList<Step> Steps { get; }

    /// <summary>Indices (into <see cref="Steps"/>) of the ReLU (and LeakyReLU) steps, in order: the nonlinear nodes a certificate claims bounds for.</summary>
    public int[] ReluSteps => Steps.Select((s, i) => (s, i)).Where(p => p.s is ReluStep).Select(p => p.i).ToArray();

    public double[] Run(double[] x)
    {
        foreach (var s in Steps) x = s.Run(x);
        return x;
    }

    /// <summary>
    /// Runs this network and <paramref name="reference"/> on <paramref name="points"/> and returns the first disagreement
    /// beyond <paramref name="relTolerance"/> (relative to the output's magnitude), or null when all agree.
    /// </summary>
    public string? CompareWith(Func<double[], double[]> reference, IEnumerable<double[]> points, double relTolerance = 1e-4)
    {
        int k = 0;
        foreach (var p in points)
        {
            var mine = Run(p);
            var theirs = reference(p);
            if (theirs.Length != mine.Length) return $"sample {k}: the reference gives {theirs.Length} outputs, the network {mine.Length}";
            double scale = 1 + theirs.Select(Math.Abs).DefaultIfEmpty(0).Max();
            for (int i = 0; i < mine.Length; i++)
                if (!(Math.Abs(mine[i] - theirs[i]) <= relTolerance * scale))
                    return $"sample {k}: output {i} is {mine[i]:R} here and {theirs[i]:R} in the reference";
            k++;
        }
        return null;
    }
}

/// <summary>A certificate, network or property the checker cannot read or must reject before any bound (one line).</summary>
public sealed class CertificateException(string message) : Exception(message);

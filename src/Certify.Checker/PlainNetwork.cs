namespace Certify.Checker;

/// <summary>
/// One step of a <see cref="PlainNetwork"/>: a function of the concatenated outputs of the steps named in
/// <see cref="From"/> (by index; −1 is the network input; null means the previous step alone, so a chain needs no
/// indices). Steps come in an order where every step reads only earlier ones, so a residual block is two steps reading
/// the same earlier output and a <see cref="SumStep"/> reading both.
/// </summary>
public abstract record Step(string Name)
{
    /// <summary>Length of the step's output.</summary>
    public abstract int OutputSize { get; }

    /// <summary>Indices of the steps whose outputs this one reads, concatenated in this order (−1: the input); null: the previous step.</summary>
    public int[]? From { get; init; }

    /// <summary>The step in plain double arithmetic (for the comparison with a reference runtime, not for bounds).</summary>
    public abstract double[] Run(double[] x);
}

/// <summary>
/// A linear step, given row by row: <c>y_i = (B_i + Σ_j w_ij·x_j) / D_i</c> with <c>D_i &gt; 0</c> (1 except for average
/// pooling, where it keeps the weights exact instead of rounding 1/k). <see cref="Row"/> lists only the entries of row i
/// that exist (a convolution's patch, a pooling window), so no step is ever a dense matrix unless it is one. The bound
/// rules read rows only: interval arithmetic sums a row, back-substitution scatters each row back (the transpose).
/// </summary>
public abstract record LinearStep(string Name, int In, int Out) : Step(Name)
{
    public override int OutputSize => Out;

    /// <summary>Appends row i's entries (input index, weight; each weight a stored value, copied exactly) to <paramref name="row"/>.</summary>
    public abstract void Row(int i, List<(int J, double W)> row);

    public abstract double Bias(int i);

    /// <summary>Whether some row has a divisor other than 1.</summary>
    public virtual bool Divides => false;

    public virtual double Divisor(int i) => 1;

    public override double[] Run(double[] x)
    {
        var y = new double[Out];
        var row = new List<(int J, double W)>();
        for (int i = 0; i < Out; i++)
        {
            row.Clear(); Row(i, row);
            double s = Bias(i);
            foreach (var (j, w) in row) s += w * x[j];
            y[i] = s / Divisor(i);
        }
        return y;
    }
}

/// <summary><c>y = W·x + b</c>, W row-major <c>[Out, In]</c>: Gemm, MatMul, Linear.</summary>
public sealed record AffineStep(string Name, int In, int Out, double[] W, double[] B) : LinearStep(Name, In, Out)
{
    public override void Row(int i, List<(int J, double W)> row)
    {
        for (int j = 0; j < In; j++)
            if (W[(long)i * In + j] != 0) row.Add((j, W[(long)i * In + j]));
    }
    public override double Bias(int i) => B[i];
}

/// <summary><c>y_i = Scale_i·x_i + Shift_i</c>: Add/Sub/Mul/Div by constants and BatchNorm (the importer's elementwise affine).</summary>
public sealed record DiagonalStep(string Name, double[] Scale, double[] Shift) : LinearStep(Name, Scale.Length, Scale.Length)
{
    public override void Row(int i, List<(int J, double W)> row) { if (Scale[i] != 0) row.Add((i, Scale[i])); }
    public override double Bias(int i) => Shift[i];
}

/// <summary>
/// A 2-d convolution over <c>[C, H, W]</c> (1-d is H = 1) with zero padding (begin pads; the end pads only decide the
/// output size), stride, dilation and groups, kernel <c>[Cout, C/groups, Kh, Kw]</c> row-major. Row (o, y, x) is its
/// patch: weight <c>K[o, c, ky, kx]</c> on input <c>(g·C/groups + c, y·sy − py + ky·dy, x·sx − px + kx·dx)</c> when that
/// lies inside the input, g the group of o. It is applied patch by patch, never as a matrix.
/// </summary>
public sealed record ConvStep(string Name, int C, int H, int W, int Cout, int Ho, int Wo, double[] Kernel, int Kh, int Kw,
    int Sy, int Sx, int Py, int Px, int Dy, int Dx, int Groups, double[] B) : LinearStep(Name, C * H * W, Cout * Ho * Wo)
{
    public override void Row(int i, List<(int J, double W)> row)
    {
        int o = i / (Ho * Wo), y = i / Wo % Ho, x = i % Wo;
        int cg = C / Groups, g = o / (Cout / Groups);
        for (int c = 0; c < cg; c++)
            for (int ky = 0; ky < Kh; ky++)
            {
                int iy = y * Sy - Py + ky * Dy;
                if (iy < 0 || iy >= H) continue;
                for (int kx = 0; kx < Kw; kx++)
                {
                    int ix = x * Sx - Px + kx * Dx;
                    double w = Kernel[((o * cg + c) * Kh + ky) * Kw + kx];
                    if (ix >= 0 && ix < W && w != 0) row.Add((((g * cg + c) * H + iy) * W + ix, w));
                }
            }
    }
    public override double Bias(int i) => B[i / (Ho * Wo)];
}

/// <summary>Average pooling: output i is the sum of its window (flat input indices) divided by <see cref="Divisors"/>[i].</summary>
public sealed record AvgPoolStep(string Name, int In, int[][] Windows, double[] Divisors) : LinearStep(Name, In, Windows.Length)
{
    public override void Row(int i, List<(int J, double W)> row) { foreach (int j in Windows[i]) row.Add((j, 1)); }
    public override double Bias(int i) => 0;
    public override bool Divides => true;
    public override double Divisor(int i) => Divisors[i];
}

/// <summary>
/// <c>y_i = x_{Source[i]}</c>, or the constant <see cref="Value"/> where <c>Source[i] = −1</c>: constant padding, and any
/// data movement (Concat of several inputs, Slice, Transpose) as the index map it is.
/// </summary>
public sealed record SelectStep(string Name, int In, int[] Source, double Value = 0) : LinearStep(Name, In, Source.Length)
{
    public override void Row(int i, List<(int J, double W)> row) { if (Source[i] >= 0) row.Add((Source[i], 1)); }
    public override double Bias(int i) => Source[i] >= 0 ? 0 : Value;
}

/// <summary><c>y = a + b</c> of two outputs of <see cref="Size"/> each (<see cref="Step.From"/> names both): a residual connection.</summary>
public sealed record SumStep(string Name, int Size) : LinearStep(Name, 2 * Size, Size)
{
    public override void Row(int i, List<(int J, double W)> row) { row.Add((i, 1)); row.Add((Size + i, 1)); }
    public override double Bias(int i) => 0;
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
/// The network as the checker sees it: affine maps (dense, elementwise, convolution, pooling, data movement, sums),
/// ReLUs and max poolings over flat double vectors, wired as a DAG, with its own copies of the weights. The checker
/// trusts only this form, and only after <see cref="CompareWith"/> agreed with an independent runtime (ONNX Runtime) on
/// sample points: whoever built it (Certify's importer) is thereby checked, not trusted. The output is the last step's.
/// </summary>
public sealed class PlainNetwork
{
    public PlainNetwork(int inputSize, IReadOnlyList<Step> steps)
    {
        var inputs = new int[steps.Count][];
        var rows = new SparseRows?[steps.Count];
        int Size(int k) => k < 0 ? inputSize : steps[k].OutputSize;
        var row = new List<(int J, double W)>();
        for (int k = 0; k < steps.Count; k++)
        {
            var s = steps[k];
            inputs[k] = s.From ?? new[] { k - 1 };
            if (inputs[k].Length == 0 || inputs[k].Any(i => i < -1 || i >= k))
                throw new CertificateException($"network step '{s.Name}': reads a step that does not come before it");
            int n = inputs[k].Sum(Size);
            if (s is not LinearStep && inputs[k].Length != 1) throw new CertificateException($"network step '{s.Name}': reads {inputs[k].Length} inputs");
            if (s is LinearStep a)
            {
                if (a.In != n) throw new CertificateException($"network step '{s.Name}': shapes do not chain ({n} in, step reads {a.In})");
                var start = new int[a.Out + 1];
                var cols = new List<int>(); var vals = new List<double>();
                for (int i = 0; i < a.Out; i++)
                {
                    row.Clear(); a.Row(i, row);
                    if (row.Any(e => e.J < 0 || e.J >= n || !double.IsFinite(e.W)) || !double.IsFinite(a.Bias(i)) || !(a.Divisor(i) > 0 && double.IsFinite(a.Divisor(i))))
                        throw new CertificateException($"network step '{s.Name}': row {i} has an index outside its {n} inputs or a weight that is not finite");
                    if ((long)cols.Count + row.Count > MaxEntries)
                        throw new CertificateException($"network step '{s.Name}': more than {MaxEntries} weights in its rows");
                    foreach (var (j, w) in row) { cols.Add(j); vals.Add(w); }
                    start[i + 1] = cols.Count;
                }
                rows[k] = new SparseRows(start, cols.ToArray(), vals.ToArray(), Enumerable.Range(0, a.Out).Select(a.Bias).ToArray(),
                    a.Divides ? Enumerable.Range(0, a.Out).Select(a.Divisor).ToArray() : null);
            }
            if (s is ReluStep r && r.Size != n) throw new CertificateException($"network step '{s.Name}': size {r.Size}, previous {n}");
            if (s is ReluStep q && !(q.NegativeSlope >= 0 && q.NegativeSlope <= 1))
                throw new CertificateException($"network step '{s.Name}': negative slope {q.NegativeSlope} outside [0, 1]");
            if (s is MaxPoolStep m && (m.In != n || m.Windows.Any(w => w.Length == 0 || w.Any(j => j < 0 || j >= n))))
                throw new CertificateException($"network step '{s.Name}': a pooling window is empty or outside the {n} inputs");
        }
        if (steps.Count == 0) throw new CertificateException("the network has no steps");
        InputSize = inputSize;
        Steps = steps;
        Inputs = inputs;
        Rows = rows;
        OutputSize = steps[^1].OutputSize;
    }

    public int InputSize { get; }
    public int OutputSize { get; }
    public IReadOnlyList<Step> Steps { get; }

    /// <summary>Per step, the indices of the steps it reads (−1: the input), resolved from <see cref="Step.From"/>.</summary>
    public int[][] Inputs { get; }

    /// <summary>Per linear step, its rows as flat arrays (null for other steps): what the bound rules read.</summary>
    public SparseRows?[] Rows { get; }

    /// <summary>Most weights (row entries) one linear step may have: a convolution's count is its output size times its patch size.</summary>
    public const int MaxEntries = 50_000_000;

    /// <summary>Whether every step reads just the one before it.</summary>
    public bool IsChain => Inputs.Select((f, k) => f.Length == 1 && f[0] == k - 1).All(b => b);

    /// <summary>Indices (into <see cref="Steps"/>) of the ReLU (and LeakyReLU) steps, in order: the nonlinear nodes a certificate claims bounds for.</summary>
    public int[] ReluSteps => Steps.Select((s, i) => (s, i)).Where(p => p.s is ReluStep).Select(p => p.i).ToArray();

    public double[] Run(double[] x)
    {
        var outs = new double[Steps.Count][];
        for (int k = 0; k < Steps.Count; k++)
            outs[k] = Steps[k].Run(Inputs[k].Length == 1 ? Get(Inputs[k][0]) : Inputs[k].SelectMany(Get).ToArray());
        return outs[^1];
        double[] Get(int i) => i < 0 ? x : outs[i];
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

/// <summary>
/// A linear step's rows, built once from <see cref="LinearStep.Row"/>: row i's entries are <c>Cols/Vals[Start[i] ..
/// Start[i+1])</c>, then <see cref="Bias"/>[i], and the divisor (null: all 1).
/// </summary>
public sealed record SparseRows(int[] Start, int[] Cols, double[] Vals, double[] Bias, double[]? Divisor);

/// <summary>A certificate, network or property the checker cannot read or must reject before any bound (one line).</summary>
public sealed class CertificateException(string message) : Exception(message);

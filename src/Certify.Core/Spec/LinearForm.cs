namespace Certify.Spec;

/// <summary>
/// A linear expression <c>Σ coef·var + Constant</c> over VNNLIB variables, built while reading a term. Variables are
/// encoded as keys: <c>X_i → 2i</c>, <c>Y_i → 2i+1</c>. <see cref="Exact"/> stays true while every arithmetic step was
/// exact in double precision (checked with error-free transformations), so callers know when a derived bound had to be
/// rounded and must be widened outward.
/// </summary>
internal sealed class LinearForm
{
    /// <summary>Variable terms (key, coefficient), each key at most once.</summary>
    public readonly List<(int Key, double Coef)> Terms = new(2);
    public double Constant;
    public bool Exact = true;

    public static int KeyOf(bool output, int index) => 2 * index + (output ? 1 : 0);
    public static bool IsOutput(int key) => (key & 1) == 1;
    public static int IndexOf(int key) => key >> 1;
    public static string NameOf(int key) => (IsOutput(key) ? "Y_" : "X_") + IndexOf(key);

    public bool IsConstant => Terms.Count == 0;

    /// <summary>a + b, clearing <see cref="Exact"/> when the sum was rounded.</summary>
    double Sum(double a, double b)
    {
        double s = a + b;
        // TwoSum (Knuth): the rounding error of a + b is exactly (a - (s - bb)) + (b - bb).
        double bb = s - a;
        if ((a - (s - bb)) + (b - bb) != 0 || !double.IsFinite(s)) Exact = false;
        return s;
    }

    /// <summary>a · b, clearing <see cref="Exact"/> when the product was rounded.</summary>
    double Product(double a, double b)
    {
        double p = a * b;
        if (Math.FusedMultiplyAdd(a, b, -p) != 0 || !double.IsFinite(p)) Exact = false;
        return p;
    }

    /// <summary>Adds <paramref name="factor"/> · <paramref name="other"/> to this form.</summary>
    public void AddScaled(LinearForm other, double factor)
    {
        if (!other.Exact) Exact = false;
        if (other.Constant != 0) Constant = Sum(Constant, Product(other.Constant, factor));
        foreach (var (key, coef) in other.Terms) AddTerm(key, Product(coef, factor));
    }

    /// <summary>Adds <paramref name="coef"/> · variable <paramref name="key"/>.</summary>
    public void AddTerm(int key, double coef)
    {
        for (int i = 0; i < Terms.Count; i++)
            if (Terms[i].Key == key) { Terms[i] = (key, Sum(Terms[i].Coef, coef)); return; }
        Terms.Add((key, coef));
    }

    /// <summary>Multiplies every coefficient and the constant by <paramref name="factor"/>.</summary>
    public void Scale(double factor)
    {
        Constant = Product(Constant, factor);
        for (int i = 0; i < Terms.Count; i++) Terms[i] = (Terms[i].Key, Product(Terms[i].Coef, factor));
    }

    /// <summary>Divides by the constant <paramref name="divisor"/> (non-zero), tracking exactness.</summary>
    public void Divide(double divisor)
    {
        Constant = Quotient(Constant, divisor);
        for (int i = 0; i < Terms.Count; i++) Terms[i] = (Terms[i].Key, Quotient(Terms[i].Coef, divisor));
    }

    /// <summary>a / b, clearing <see cref="Exact"/> when the quotient was rounded.</summary>
    public double Quotient(double a, double b)
    {
        double q = a / b;
        if (Math.FusedMultiplyAdd(q, b, -a) != 0 || !double.IsFinite(q)) Exact = false;
        return q;
    }
}

namespace Certify.Checker;

/// <summary>
/// Outward rounding. Every double operation here is IEEE round-to-nearest, so the exact real result lies within half an
/// ulp of the computed one; stepping one ulp down (up) gives a double that is certainly below (above) it. The checker
/// uses only these for anything that becomes part of a bound, so a bound it derives holds in real arithmetic.
/// </summary>
static class Outward
{
    // Adding 0 is exact (sums of coefficients start from 0 and most terms add to nothing yet).
    public static double AddDown(double a, double b) => a == 0 ? b : b == 0 ? a : Math.BitDecrement(a + b);
    public static double AddUp(double a, double b) => a == 0 ? b : b == 0 ? a : Math.BitIncrement(a + b);
    public static double MulDown(double a, double b) => a == 0 || b == 0 ? 0 : Math.BitDecrement(a * b);
    public static double MulUp(double a, double b) => a == 0 || b == 0 ? 0 : Math.BitIncrement(a * b);
    public static double SubDown(double a, double b) => Math.BitDecrement(a - b);
    public static double SubUp(double a, double b) => Math.BitIncrement(a - b);
    public static double DivDown(double a, double b) => a == 0 ? 0 : Math.BitDecrement(a / b);
    public static double DivUp(double a, double b) => a == 0 ? 0 : Math.BitIncrement(a / b);

    /// <summary>A lower bound of the product of c ∈ [cl, cu] and v ∈ [vl, vu].</summary>
    public static double ProductLower(double cl, double cu, double vl, double vu) =>
        Math.Min(Math.Min(MulDown(cl, vl), MulDown(cl, vu)), Math.Min(MulDown(cu, vl), MulDown(cu, vu)));
}

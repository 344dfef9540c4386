using Certify.Spec;

namespace Certify.Tests.Spec;

/// <summary>The parser edge cases shipped with Marabou (bench/marabou_onnx_zoo/vnnlib): what each file must mean.</summary>
public sealed class VnnLibEdgeCaseTests
{
    static Specification Load(string name) =>
        VnnLibParser.Parse(Path.Combine(TestPaths.RequireBench(), "marabou_onnx_zoo", "vnnlib", name));

    /// <summary>The single region's box and its single conjunction's rows.</summary>
    static (InputRegion Region, IReadOnlyList<HalfSpace> Rows) Single(Specification s)
    {
        var r = Assert.Single(s.Regions);
        var c = Assert.Single(r.Unsafe.Disjuncts);
        return (r, c.Rows);
    }

    static void AssertRow(HalfSpace row, double[] c, double d)
    {
        Assert.Equal(c, row.C);
        Assert.Equal(d, row.D);
    }

    static readonly double[] Prop3Lower = { -0.30353115613746867, -0.009549296585513092, 0.4933803235848431, 0.3, 0.3 };
    static readonly double[] Prop3Upper = { -0.29855281193475053, 0.009549296585513092, 0.49999999998567607, 0.5, 0.5 };

    [SkippableFact]
    public void AcasProp1()
    {
        var s = Load("acasxu_prop1.vnnlib");
        Assert.Equal((5, 5), (s.InputSize, s.OutputSize));
        var (r, rows) = Single(s);
        Assert.Equal(new[] { 0.6, -0.5, -0.5, 0.45, -0.5 }, r.Lower);
        Assert.Equal(new[] { 0.679857769, 0.5, 0.5, 0.5, -0.45 }, r.Upper);
        AssertRow(Assert.Single(rows), new[] { -1.0, 0, 0, 0, 0 }, -3.991125645861615);
    }

    [SkippableFact]
    public void AddConstantToInputGivesPlainBound()
    {
        // (>= (+ X_0 1) 1) is X_0 >= 0, computed exactly (no widening).
        var (r, rows) = Single(Load("test_add_const.vnnlib"));
        Assert.Equal(new[] { 0.0 }, r.Lower);
        Assert.Equal(new[] { 1.0 }, r.Upper);
        AssertRow(Assert.Single(rows), new[] { -1.0 }, 0);
    }

    [SkippableFact]
    public void SumOfOutputsIsOneRow()
    {
        var (r, rows) = Single(Load("test_add_var.vnnlib"));
        Assert.Equal(Prop3Lower, r.Lower);
        Assert.Equal(Prop3Upper, r.Upper);
        Assert.Equal(4, rows.Count);
        AssertRow(rows[0], new[] { -1.0, 0, 0, 0, 0 }, 0);
        AssertRow(rows[1], new[] { 0, -1.0, 0, 0, 0 }, 0);
        AssertRow(rows[2], new[] { 0, 0, -1.0, 0, 0 }, 0);
        AssertRow(rows[3], new[] { 1.0, 1, 0, 0, 0 }, 1);
    }

    [SkippableFact]
    public void DifferenceOfOutputsIsOneRow()
    {
        var (r, rows) = Single(Load("test_sub_var.vnnlib"));
        Assert.Equal(Prop3Lower, r.Lower);
        Assert.Equal(4, rows.Count);
        AssertRow(rows[3], new[] { 1.0, -1, 0, 0, 0 }, 1);
    }

    [SkippableFact]
    public void AndOfInputBounds()
    {
        var (r, rows) = Single(Load("test_and.vnnlib"));
        Assert.Equal((0.0, 1.0), (r.Lower[0], r.Upper[0]));
        AssertRow(Assert.Single(rows), new[] { -1.0 }, -1);
    }

    [SkippableFact]
    public void ExponentNotation()
    {
        var (r, rows) = Single(Load("test_exp_notation.vnnlib"));
        Assert.Equal((-1.0, 1.0), (r.Lower[0], r.Upper[0]));
        AssertRow(Assert.Single(rows), new[] { -1.0 }, -0.5);
    }

    [SkippableFact]
    public void ConstantTimesInput()
    {
        // (* X_0 2) >= 0, (* (- 2) X_0) >= (- 2) i.e. X_0 <= 1, and (* 0 X_0) <= 1000 which always holds.
        var (r, rows) = Single(Load("test_mul_var_const.vnnlib"));
        Assert.Equal((0.0, 1.0), (r.Lower[0], r.Upper[0]));
        AssertRow(Assert.Single(rows), new[] { -1.0 }, 0);
    }

    [SkippableFact]
    public void SubtractConstantFromInput()
    {
        var (r, _) = Single(Load("test_sub_const.vnnlib"));
        Assert.Equal((2.0, 3.0), (r.Lower[0], r.Upper[0]));
    }

    [SkippableFact]
    public void NanoProperty()
    {
        var (r, rows) = Single(Load("test_nano_vnncomp.vnnlib"));
        Assert.Equal((-1.0, 1.0), (r.Lower[0], r.Upper[0]));
        AssertRow(Assert.Single(rows), new[] { 1.0 }, -1);
    }

    [SkippableFact]
    public void AcasProp3()
    {
        var (r, rows) = Single(Load("test_prop_vnncomp.vnnlib"));
        Assert.Equal(Prop3Lower, r.Lower);
        Assert.Equal(Prop3Upper, r.Upper);
        Assert.Equal(4, rows.Count);
        for (int j = 1; j <= 4; j++)
        {
            var c = new double[5];
            c[0] = 1;
            c[j] = -1;
            AssertRow(rows[j - 1], c, 0);
        }
    }

    [SkippableTheory]
    [InlineData("test_small_vnncomp.vnnlib")]
    [InlineData("test_tiny_vnncomp.vnnlib")]
    public void BoxAndOutputInsideOneDisjunct(string name)
    {
        var (r, rows) = Single(Load(name));
        Assert.Equal((-1.0, 1.0), (r.Lower[0], r.Upper[0]));
        AssertRow(Assert.Single(rows), new[] { -1.0 }, -100);
    }

    [SkippableTheory]
    [InlineData("test_assert_operator_not_implemented.vnnlib", 4, 10, "unsupported operator 'xor'")]
    [InlineData("test_command_not_implemented.vnnlib", 3, 2, "unsupported command 'declare-sore'")]
    [InlineData("test_mul_var_var.vnnlib", 4, 20, "product of two variable terms is not linear")]
    public void UnsupportedConstructsAreReportedWithPosition(string name, int line, int column, string problem)
    {
        var e = Assert.Throws<VnnLibException>(() => Load(name));
        Assert.Equal((line, column), (e.Line, e.Column));
        Assert.Contains(problem, e.Message);
        Assert.Contains(name, e.Message);
    }
}

using Certify.Graph;
using Certify.Import.Onnx.Proto;
using Certify.Operators;
using Certify.Tests.Import;
using Certify.Verification;
using static TorchSharp.torch;

namespace Certify.Tests.Operators;

/// <summary>
/// Products of two variables (Gemm and MatMul of two variables: McCormick planes) and division by a variable
/// (<c>x · Reciprocal(y)</c>): ONNX Runtime agreement, soundness, and the verifier's answer when a divisor may be 0.
/// </summary>
public class BilinearTests
{
    static AttributeProto Float(string name, float v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };

    public static TheoryData<bool, bool, string> GemmForms() => new()
    {
        { false, false, "none" }, { true, false, "const" }, { false, true, "var" }, { true, true, "const" },
    };

    [Theory]
    [MemberData(nameof(GemmForms))]
    public void Gemm_of_two_variables_agrees_with_onnx_runtime_and_is_bounded_soundly(bool transA, bool transB, string c)
    {
        // A [2, 3] (or its transpose) and B [3, 2] (or its transpose) are the two inputs; C a constant [2] or a third input [2, 2].
        var m = new OnnxTestModel(transA ? new long[] { 3, 2 } : new long[] { 2, 3 }, input: "a").Input("b", transB ? new long[] { 2, 3 } : new long[] { 3, 2 });
        var ins = new List<string> { "a", "b" };
        if (c == "const") { m.Init("c", new float[] { 0.5f, -1 }, 2); ins.Add("c"); }
        if (c == "var") { m.Input("c", new long[] { 2, 2 }); ins.Add("c"); }
        var bytes = m.Node("Gemm", "gemm", ins.ToArray(), "y", OnnxTestModel.Int("transA", transA ? 1 : 0), OnnxTestModel.Int("transB", transB ? 1 : 0),
            Float("alpha", 0.5f), Float("beta", 2f)).Bytes("y", new long[] { 2, 2 });
        var g = OperatorChecks.AssertAgreesWithOrt(bytes, -1, 1);
        Assert.Contains(g.Nodes, n => n.Op is MulOp);
        var (l, u) = OperatorChecks.Boxes(g.InputSize, 4, 5, -1, 1, 0.5);
        foreach (var dt in new[] { ScalarType.Float64, ScalarType.Float32 })
            OperatorChecks.AssertSound(g.To(ScalarType.Float64), l, u, dt, 6, samples: 300, forward: false);
        OperatorChecks.AssertExportRoundTrip(g, -1, 1);
    }

    [Fact]
    public void Matmul_of_two_variables_agrees_with_onnx_runtime_and_is_bounded_soundly()
    {
        // Attention-like scores: q [1, 2, 3] times kᵀ [1, 3, 2].
        var bytes = new OnnxTestModel(new long[] { 1, 2, 3 }, input: "q").Input("k", new long[] { 1, 3, 2 })
            .Node("MatMul", "qk", new[] { "q", "k" }, "y").Bytes("y", new long[] { 1, 2, 2 });
        var g = OperatorChecks.AssertAgreesWithOrt(bytes, -1, 1);
        var (l, u) = OperatorChecks.Boxes(g.InputSize, 4, 7, -1, 1, 0.5);
        foreach (var dt in new[] { ScalarType.Float64, ScalarType.Float32 })
            OperatorChecks.AssertSound(g.To(ScalarType.Float64), l, u, dt, 8, samples: 300, forward: false);
    }

    [Fact]
    public void Division_of_two_variables_and_of_a_constant_by_a_variable_import_and_agree()
    {
        // y = x / z and w = 2 / z, concatenated: x and z are two inputs [1, 3].
        var bytes = new OnnxTestModel(new long[] { 1, 3 }).Input("z", new long[] { 1, 3 })
            .Init("two", new float[] { 2 }, 1)
            .Node("Div", "xz", new[] { "x", "z" }, "q")
            .Node("Div", "cz", new[] { "two", "z" }, "w")
            .Node("Concat", "cat", new[] { "q", "w" }, "y", OnnxTestModel.Int("axis", 1))
            .Bytes("y", new long[] { 1, 6 });
        var g = OperatorChecks.AssertAgreesWithOrt(bytes, 0.5, 3);
        Assert.Equal(2, g.Nodes.Count(n => n.Op is ReciprocalOp));
        var (l, u) = (full(1, 6, 0.5, dtype: ScalarType.Float64), full(1, 6, 3.0, dtype: ScalarType.Float64));
        OperatorChecks.AssertSound(g.To(ScalarType.Float64), l, u, ScalarType.Float64, 5, forward: false);   // Mul has no forward rule
        OperatorChecks.AssertSound(g.To(ScalarType.Float64), l, u, ScalarType.Float32, 5, forward: false);
        OperatorChecks.AssertExportRoundTrip(g, 0.5, 3);
    }

    [Fact]
    public void Division_by_a_constant_still_becomes_an_affine_scale()
    {
        var bytes = new OnnxTestModel(new long[] { 1, 3 }).Init("c", new float[] { 4 }, 1).Node("Div", "d", new[] { "x", "c" }, "y").Bytes("y", new long[] { 1, 3 });
        var g = OperatorChecks.AssertAgreesWithOrt(bytes, -1, 1);
        Assert.DoesNotContain(g.Nodes, n => n.Op is ReciprocalOp);
    }

    // ---- verifier ------------------------------------------------------------------------------------------------

    static string Property(params string[] lines)
    {
        var path = Path.Combine(Path.GetTempPath(), $"certify-newop-{Guid.NewGuid():N}.vnnlib");
        File.WriteAllText(path, string.Join("\n", new[] { "(declare-const X_0 Real)", "(declare-const X_1 Real)", "(declare-const Y_0 Real)" }.Concat(lines)) + "\n");
        return path;
    }

    static string DivisionModel()
    {
        // y = x0 / x1, inputs x [1, 2].
        return new OnnxTestModel(new long[] { 1, 2 })
            .InitInts("s0", new long[] { 0 }, 1).InitInts("s1", new long[] { 1 }, 1).InitInts("s2", new long[] { 2 }, 1).InitInts("ax", new long[] { 1 }, 1)
            .Node("Slice", "num", new[] { "x", "s0", "s1", "ax" }, "a")
            .Node("Slice", "den", new[] { "x", "s1", "s2", "ax" }, "b")
            .Node("Div", "div", new[] { "a", "b" }, "y")
            .Save("y", new long[] { 1, 1 });
    }

    [Fact]
    public void Verifier_answers_unknown_naming_the_division_when_the_divisor_interval_contains_zero()
    {
        var model = DivisionModel();
        // X_1 ∈ [-1, 1]: x0 / x1 is unbounded. The property (Y_0 ≥ 100 unsafe) is violated near x1 = 0, but the attack is off.
        var prop = Property("(assert (>= X_0 0.5))", "(assert (<= X_0 1.0))", "(assert (>= X_1 -1.0))", "(assert (<= X_1 1.0))", "(assert (>= Y_0 100.0))");
        try
        {
            var report = Verifier.Verify(model, prop, WorkBudgets.Verifier(50, attackRounds: 0));
            Assert.Equal(VerdictKind.Unknown, report.Verdict.Kind);
            Assert.Contains("Reciprocal", report.Verdict.Reason);
            Assert.Contains("contains 0", report.Verdict.Reason);
        }
        finally { File.Delete(model); File.Delete(prop); }
    }

    [Fact]
    public void Verifier_proves_a_bound_on_a_quotient_with_a_positive_divisor()
    {
        var model = DivisionModel();
        // x0 ∈ [0, 1], x1 ∈ [1, 2]: x0 / x1 ≤ 1, so Y_0 ≥ 1.5 is impossible.
        var prop = Property("(assert (>= X_0 0.0))", "(assert (<= X_0 1.0))", "(assert (>= X_1 1.0))", "(assert (<= X_1 2.0))", "(assert (>= Y_0 1.5))");
        try
        {
            var report = Verifier.Verify(model, prop, WorkBudgets.Verifier(200));
            Assert.Equal(VerdictKind.Unsat, report.Verdict.Kind);
        }
        finally { File.Delete(model); File.Delete(prop); }
    }
}

using LpSolver = Google.OrTools.LinearSolver.Solver;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.Z3;
using static TorchSharp.torch;

namespace Certify.Tests.Native;

/// <summary>One smoke test per native dependency: each proves the library loads and computes on this machine.</summary>
public class NativeSmokeTests
{
    [Fact]
    public void TorchSharp_autograd_computes_the_gradient_of_a_square()
    {
        using var x = tensor(new double[] { 1.5, -2.0, 3.0 }, requires_grad: true);
        using var y = (x * x).sum();
        y.backward();
        Assert.Equal(new[] { 3.0, -4.0, 6.0 }, x.grad!.data<double>().ToArray());
    }

    [Fact]
    public void Glibc_malloc_tuning_is_applied_on_linux()
    {
        // Without it every large tensor is a fresh mmap with page faults (see AllocatorTuning); the P/Invoke must resolve.
        Certify.Runtime.AllocatorTuning.Apply();
        Assert.Equal(OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("CERTIFY_MALLOC_TUNING") != "0",
            Certify.Runtime.AllocatorTuning.Applied);
    }

    [Fact]
    public void Z3_finds_a_model_through_an_if_then_else()
    {
        using var ctx = new Context();
        var a = ctx.MkRealConst("a");
        var relu = (ArithExpr)ctx.MkITE(ctx.MkGt(a, ctx.MkReal(0)), a, ctx.MkReal(0));
        var solver = ctx.MkSolver();
        solver.Assert(ctx.MkEq(relu, ctx.MkReal(5)), ctx.MkLt(a, ctx.MkReal(10)));
        Assert.Equal(Status.SATISFIABLE, solver.Check());
        Assert.Equal("5", solver.Model.Eval(a).ToString());
        solver.Assert(ctx.MkLt(a, ctx.MkReal(4)));
        Assert.Equal(Status.UNSATISFIABLE, solver.Check());
    }

    [Fact]
    public void OrTools_SCIP_solves_a_small_integer_program()
    {
        using var solver = LpSolver.CreateSolver("SCIP");
        Assert.NotNull(solver);
        var x = solver.MakeIntVar(0, 10, "x");
        var y = solver.MakeIntVar(0, 10, "y");
        solver.Add(2 * x + 3 * y <= 12);
        solver.Add(x - y <= 2);
        solver.Maximize(x + y);
        Assert.Equal(LpSolver.ResultStatus.OPTIMAL, solver.Solve());
        Assert.Equal(5.0, solver.Objective().Value(), 6); // (3,2) is the integer optimum; the LP optimum (3.6, 1.6) = 5.2 is not integral
    }

    [SkippableFact]
    public void OnnxRuntime_runs_an_ACAS_Xu_network()
    {
        var bench = TestPaths.RequireBench();
        using var session = new InferenceSession(Path.Combine(bench, "acasxu/onnx/ACASXU_run2a_1_1_batch_2000.onnx"));
        var input = session.InputMetadata.First();
        var shape = input.Value.Dimensions.Select(d => d <= 0 ? 1 : d).ToArray();
        var x = new DenseTensor<float>(new float[5], shape);
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(input.Key, x) });
        var y = results.First().AsEnumerable<float>().ToArray();
        Assert.Equal(5, y.Length);
        Assert.All(y, v => Assert.True(float.IsFinite(v)));
    }
}

using TorchSharp;
using static TorchSharp.torch;

namespace Certify.Fuzzing;

/// <summary>
/// libtorch aborts the whole process, instead of raising an error, when a <c>matmul</c> is given operands it cannot
/// multiply: TorchSharp 0.107's <c>THSTensor_matmul</c> lets the C++ exception escape (checked: shape, dtype and batch
/// mismatches all end in <c>terminate</c>, exit 134; <c>linear</c>, <c>conv2d</c> and <c>*</c> raise catchable errors).
/// In the fuzzer's instrumented copy of Certify.Core every call to <c>Tensor.matmul</c> and <c>torch.matmul</c> is
/// redirected here (<see cref="InstrumentedCore"/>), so that the fuzzer sees such a call as an exception with the stack
/// of the Certify code that made it, keeps running, and reports it as the process-killing crash it is. Certify's
/// importer checks the operands of its constant matmuls first (<see cref="Certify.Import.Onnx.MatMulCheck"/>, since
/// the fuzzer found them): a call reaching this guard with bad operands is a path that check does not cover.
/// </summary>
public static class TorchGuards
{
    /// <summary><c>a.matmul(b)</c> when libtorch would accept the operands; otherwise throws <see cref="TorchAbortException"/>.</summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        if (Problem(a, b) is { } why)
        {
            var e = new TorchAbortException($"libtorch would abort the process: matmul of [{string.Join(",", a.shape)}] ({a.dtype}) and [{string.Join(",", b.shape)}] ({b.dtype}): {why}");
            try { throw e; }                  // thrown here so that it carries the stack of the Certify code that called matmul
            catch (TorchAbortException) { _aborted ??= e; }
            throw e;
        }
        return a.matmul(b);
    }

    [ThreadStatic] static TorchAbortException? _aborted;

    /// <summary>
    /// The first abort this thread would have suffered since the last call, or null. Why: the code under test may catch
    /// the guard's exception (the ONNX importer wraps any translation error into an ImportException), which would hide
    /// a call that, outside the fuzzer, kills the process; a target asks here after each input.
    /// </summary>
    public static TorchAbortException? TakeAbort()
    {
        var e = _aborted;
        _aborted = null;
        return e;
    }

    /// <summary>What torch.matmul would reject, or null: the importer's own check (<see cref="Certify.Import.Onnx.MatMulCheck"/>).</summary>
    public static string? Problem(Tensor a, Tensor b) => Certify.Import.Onnx.MatMulCheck.Problem(a, b);
}

/// <summary>A tensor operation that would have made libtorch abort the process (see <see cref="TorchGuards"/>).</summary>
public sealed class TorchAbortException(string message) : Exception(message);

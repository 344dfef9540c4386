namespace Certify.Verification;

/// <summary>
/// The network as the user's file defines it, run by an independent engine; the judge of every counterexample.
/// <see cref="OnnxReferenceModel"/> runs the original ONNX file in ONNX Runtime.
/// </summary>
public interface IReferenceModel
{
    /// <summary>Flat output for the flat input <paramref name="x"/> (one sample).</summary>
    double[] Run(double[] x);

    /// <summary>Names the engine and the model, for verdicts (e.g. "ONNX Runtime: net.onnx").</summary>
    string Description { get; }
}

using Certify.Runtime;

namespace Certify.Verification;

/// <summary>
/// The checker's view of <see cref="OnnxRuntimeModel"/>: the original ONNX file run in ONNX Runtime, batch size 1, in
/// the precision the file declares. All ONNX Runtime handling lives in <see cref="OnnxRuntimeModel"/>.
/// </summary>
public sealed class OnnxReferenceModel : IReferenceModel, IDisposable
{
    readonly OnnxRuntimeModel _model;
    readonly bool _owned;

    /// <summary>Opens <paramref name="onnxPath"/> (an <c>ImportException</c> names the file when ONNX Runtime cannot load it).</summary>
    public OnnxReferenceModel(string onnxPath) : this(new OnnxRuntimeModel(onnxPath), owned: true) { }

    /// <summary>Wraps an open model; it is disposed with this wrapper only when <paramref name="owned"/>.</summary>
    public OnnxReferenceModel(OnnxRuntimeModel model, bool owned = false)
    {
        _model = model;
        _owned = owned;
    }

    public string Description => "ONNX Runtime: " + Path.GetFileName(_model.Path);

    public double[] Run(double[] x) => _model.Run(x);

    public void Dispose() { if (_owned) _model.Dispose(); }
}

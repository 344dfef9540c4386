using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Certify.Verification;

/// <summary>
/// Runs the original ONNX file in ONNX Runtime, in the input's own element type (float32 for almost every benchmark),
/// so that a counterexample is judged with the rounding the real network has. Dynamic dimensions (a symbolic batch)
/// are run as 1. Not thread-safe per instance.
/// </summary>
public sealed class OrtReferenceModel : IReferenceModel, IDisposable
{
    readonly InferenceSession _session;
    readonly string _inputName;
    readonly int[] _shape;
    readonly Type _elementType;

    /// <summary>Opens <paramref name="onnxPath"/>; throws with the file name when it cannot be loaded or has several inputs.</summary>
    public OrtReferenceModel(string onnxPath)
    {
        try
        {
            using var options = new SessionOptions { IntraOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
            _session = new InferenceSession(onnxPath, options);
        }
        catch (OnnxRuntimeException e) { throw new InvalidDataException($"{onnxPath}: ONNX Runtime cannot load the model: {e.Message}", e); }
        var inputs = _session.InputMetadata;
        if (inputs.Count != 1) throw new InvalidDataException($"{onnxPath}: the model has {inputs.Count} inputs; counterexample checks support exactly one");
        var (name, meta) = inputs.First();
        _inputName = name;
        _shape = meta.Dimensions.Select(d => d <= 0 ? 1 : d).ToArray();
        _elementType = meta.ElementType;
        if (_elementType != typeof(float) && _elementType != typeof(double))
            throw new InvalidDataException($"{onnxPath}: input '{name}' has element type {_elementType.Name}; only float and double are supported");
        Description = "ONNX Runtime: " + Path.GetFileName(onnxPath);
        InputSize = _shape.Aggregate(1, (a, b) => a * b);
    }

    /// <summary>Number of scalars the model's input takes.</summary>
    public int InputSize { get; }

    public string Description { get; }

    public double[] Run(double[] x)
    {
        if (x.Length != InputSize) throw new ArgumentException($"{Description}: input has {x.Length} values, the model takes {InputSize}");
        NamedOnnxValue input = _elementType == typeof(float)
            ? NamedOnnxValue.CreateFromTensor(_inputName, new DenseTensor<float>(x.Select(v => (float)v).ToArray(), _shape))
            : NamedOnnxValue.CreateFromTensor(_inputName, new DenseTensor<double>((double[])x.Clone(), _shape));
        using var results = _session.Run(new[] { input });
        var first = results.First();
        return first.Value switch
        {
            Tensor<float> f => f.Select(v => (double)v).ToArray(),
            Tensor<double> d => d.ToArray(),
            _ => throw new InvalidDataException($"{Description}: output '{first.Name}' is not a float or double tensor"),
        };
    }

    public void Dispose() => _session.Dispose();
}

using Certify.Import;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Certify.Runtime;

/// <summary>
/// The reference semantics of a network: ONNX Runtime running the ORIGINAL model file. Every counterexample Certify
/// reports is checked here. Inputs are flat arrays in the model's row-major input order; symbolic dimensions are 1
/// and the input is passed as
/// float32 or float64 as the model declares; the first output is returned flattened, as doubles. Each sample is run
/// on its own with batch size 1, because some models mix the batch into other axes (e.g. Flatten with axis 0), so
/// feeding several samples at once would change their meaning.
/// </summary>
public sealed class OnnxRuntimeModel : IDisposable
{
    readonly InferenceSession _session;
    readonly string _inputName, _outputName;
    readonly int[] _shape;          // input shape with symbolic dims as 1
    readonly bool _double;

    /// <summary>Opens <paramref name="path"/> with ONNX Runtime (single-threaded, all graph optimisations off so the file's own arithmetic runs).</summary>
    /// <exception cref="ImportException">ONNX Runtime cannot load the model or its input is not a float tensor.</exception>
    public OnnxRuntimeModel(string path)
    {
        Path = path;
        try
        {
            var options = new SessionOptions
            {
                IntraOpNumThreads = 1,
                InterOpNumThreads = 1,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL,
                LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            };
            _session = new InferenceSession(path, options);
        }
        catch (Exception e) when (e is OnnxRuntimeException or FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            throw new ImportException($"{path}: ONNX Runtime cannot load the model: {e.Message}", e);
        }
        var inputs = _session.InputMetadata;
        if (inputs.Count != 1)
        {
            _session.Dispose();
            throw new ImportException($"{path}: the model has {inputs.Count} inputs; Certify supports models with exactly one input");
        }
        var (name, meta) = inputs.First();
        _inputName = name;
        _outputName = _session.OutputMetadata.Keys.First();
        if (meta.ElementType == typeof(double)) _double = true;
        else if (meta.ElementType != typeof(float))
        {
            _session.Dispose();
            throw new ImportException($"{path}: input '{name}' has element type {meta.ElementType.Name}; float and double are supported");
        }
        _shape = meta.Dimensions.Select(d => d <= 0 ? 1 : d).ToArray();
        InputSize = _shape.Aggregate(1, (a, b) => a * b);
    }

    /// <summary>The model file.</summary>
    public string Path { get; }

    /// <summary>Number of scalars in one input sample.</summary>
    public int InputSize { get; }

    /// <summary>The input shape ONNX Runtime is fed (symbolic dimensions as 1).</summary>
    public IReadOnlyList<int> InputShape => _shape;

    /// <summary>True when the model takes float64 inputs.</summary>
    public bool TakesDouble => _double;

    /// <summary>Runs one sample; returns the first output flattened.</summary>
    public double[] Run(double[] x) => RunBatch(new[] { x })[0];

    /// <summary>Runs several samples, one ONNX Runtime call each (batch size 1, the semantics Certify verifies).</summary>
    public double[][] RunBatch(IReadOnlyList<double[]> xs)
    {
        foreach (var x in xs)
            if (x.Length != InputSize)
                throw new ArgumentException($"{Path}: input has {x.Length} values, the model expects {InputSize} (shape [{string.Join(", ", _shape)}])");
        if (xs.Count == 0) return Array.Empty<double[]>();
        return xs.Select(RunOne).ToArray();
    }

    double[] RunOne(double[] x)
    {
        NamedOnnxValue input = _double
            ? NamedOnnxValue.CreateFromTensor(_inputName, new DenseTensor<double>((double[])x.Clone(), _shape))
            : NamedOnnxValue.CreateFromTensor(_inputName, new DenseTensor<float>(x.Select(v => (float)v).ToArray(), _shape));
        try
        {
            using var results = _session.Run(new[] { input }, new[] { _outputName });
            return Flatten(results.First());
        }
        catch (OnnxRuntimeException e)
        {
            throw new ImportException($"{Path}: ONNX Runtime failed to run the model: {e.Message}", e);
        }
    }

    static double[] Flatten(DisposableNamedOnnxValue v) => v.Value switch
    {
        Tensor<float> t => t.ToArray().Select(x => (double)x).ToArray(),
        Tensor<double> t => t.ToArray(),
        Tensor<Half> t => t.ToArray().Select(x => (double)x).ToArray(),
        Tensor<long> t => t.ToArray().Select(x => (double)x).ToArray(),
        Tensor<int> t => t.ToArray().Select(x => (double)x).ToArray(),
        _ => throw new ImportException($"output '{v.Name}' is not a numeric tensor")
    };

    public void Dispose() => _session.Dispose();
}

using Certify.Import;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Certify.Runtime;

/// <summary>
/// The reference semantics of a network: ONNX Runtime running the ORIGINAL model file. Every counterexample Certify
/// reports is checked here. Inputs are flat arrays in the model's row-major input order; symbolic dimensions are 1
/// and each input is passed as float32 or float64 as the model declares. A model with several inputs takes them
/// concatenated in declaration order, each flattened row-major (the VNN-COMP convention, and the importer's: see
/// <see cref="Certify.Import.OnnxImporter"/>). The first output is returned flattened, as doubles. Each sample is run
/// on its own with batch size 1, because some models mix the batch into other axes (e.g. Flatten with axis 0), so
/// feeding several samples at once would change their meaning.
/// </summary>
public sealed class OnnxRuntimeModel : IDisposable
{
    readonly InferenceSession _session;
    readonly string _outputName;
    readonly InputSlot[] _inputs;   // in declaration order; their flat ranges tile [0, InputSize)

    /// <summary>One ONNX input: its name, shape (symbolic dimensions as 1), element type and range in the flat input.</summary>
    readonly record struct InputSlot(string Name, int[] Shape, bool Double, int Offset, int Size);

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
        // InputNames lists only the real inputs (not initializers), in the order the graph declares them, which is the
        // order their values follow in the flat input.
        var slots = new List<InputSlot>();
        int offset = 0;
        foreach (var name in _session.InputNames)
        {
            var meta = _session.InputMetadata[name];
            bool dbl = meta.ElementType == typeof(double);
            if (!dbl && meta.ElementType != typeof(float))
            {
                _session.Dispose();
                throw new ImportException($"{path}: input '{name}' has element type {meta.ElementType.Name}; float and double are supported");
            }
            var shape = meta.Dimensions.Select(d => d <= 0 ? 1 : d).ToArray();
            int size = shape.Aggregate(1, (a, b) => a * b);
            slots.Add(new InputSlot(name, shape, dbl, offset, size));
            offset += size;
        }
        if (slots.Count == 0)
        {
            _session.Dispose();
            throw new ImportException($"{path}: the model has no input; Certify supports models with at least one float or double input");
        }
        _inputs = slots.ToArray();
        _outputName = _session.OutputMetadata.Keys.First();
        InputSize = offset;
    }

    /// <summary>The model file.</summary>
    public string Path { get; }

    /// <summary>Number of scalars in one input sample (all inputs together).</summary>
    public int InputSize { get; }

    /// <summary>
    /// The input shape ONNX Runtime is fed (symbolic dimensions as 1); for a model with several inputs, the flat
    /// <c>[InputSize]</c> they are concatenated into (see <see cref="InputShapes"/> for each one).
    /// </summary>
    public IReadOnlyList<int> InputShape => _inputs.Length == 1 ? _inputs[0].Shape : new[] { InputSize };

    /// <summary>Each ONNX input's name and shape (symbolic dimensions as 1), in declaration order.</summary>
    public IReadOnlyList<(string Name, IReadOnlyList<int> Shape)> InputShapes =>
        _inputs.Select(i => (i.Name, (IReadOnlyList<int>)i.Shape)).ToArray();

    /// <summary>True when the model takes float64 inputs (every input, when there are several).</summary>
    public bool TakesDouble => _inputs.All(i => i.Double);

    /// <summary>Runs one sample; returns the first output flattened.</summary>
    public double[] Run(double[] x) => RunBatch(new[] { x })[0];

    /// <summary>Runs several samples, one ONNX Runtime call each (batch size 1, the semantics Certify verifies).</summary>
    public double[][] RunBatch(IReadOnlyList<double[]> xs)
    {
        foreach (var x in xs)
            if (x.Length != InputSize)
                throw new ArgumentException($"{Path}: input has {x.Length} values, the model expects {InputSize} ({ShapeText()})");
        if (xs.Count == 0) return Array.Empty<double[]>();
        return xs.Select(RunOne).ToArray();
    }

    string ShapeText() => _inputs.Length == 1
        ? $"shape [{string.Join(", ", _inputs[0].Shape)}]"
        : "inputs " + string.Join(", ", _inputs.Select(i => $"'{i.Name}' [{string.Join(", ", i.Shape)}]")) + ", concatenated";

    double[] RunOne(double[] x)
    {
        var feeds = _inputs.Select(i => i.Double
            ? NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<double>(x.AsSpan(i.Offset, i.Size).ToArray(), i.Shape))
            : NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<float>(x.Skip(i.Offset).Take(i.Size).Select(v => (float)v).ToArray(), i.Shape))).ToArray();
        try
        {
            using var results = _session.Run(feeds, new[] { _outputName });
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

using System.Globalization;
using Certify.Graph;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Import;

/// <summary>A malformed <c>.nnet</c> file: the message names the file, the line (1-based; 0 = whole file) and what was expected.</summary>
public sealed class NNetException(string file, int line, string problem)
    : Exception(line > 0 ? $"{file}:{line}: {problem}" : $"{file}: {problem}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
}

/// <summary>
/// The content of a <c>.nnet</c> file (Kyle Julian's format, used for the ACAS Xu networks): a fully connected ReLU
/// network with a linear output layer, plus the input/output normalisation constants the file carries.
/// </summary>
/// <param name="LayerSizes">Input size, hidden sizes, output size.</param>
/// <param name="InputMinimums">Raw-unit lower limit per input (the original evaluator clips raw inputs to it).</param>
/// <param name="InputMaximums">Raw-unit upper limit per input.</param>
/// <param name="InputMeans">Mean per input: normalised = (raw − mean) / range.</param>
/// <param name="InputRanges">Range per input.</param>
/// <param name="OutputMean">Output mean: raw output = normalised · range + mean (same for every output).</param>
/// <param name="OutputRange">Output range.</param>
/// <param name="Weights">Per layer <c>[out, in]</c>, row-major.</param>
/// <param name="Biases">Per layer <c>[out]</c>.</param>
/// <param name="Source">The file it was read from.</param>
public sealed record NNetNetwork(
    int[] LayerSizes, double[] InputMinimums, double[] InputMaximums, double[] InputMeans, double[] InputRanges,
    double OutputMean, double OutputRange, IReadOnlyList<double[,]> Weights, IReadOnlyList<double[]> Biases, string Source)
{
    public int InputSize => LayerSizes[0];
    public int OutputSize => LayerSizes[^1];
}

/// <summary>
/// Reads <c>.nnet</c> networks into a <see cref="ComputationGraph"/>.
/// <para>The graph computes what the VNN-COMP ACAS Xu ONNX networks compute: the layers on <b>normalised</b> inputs,
/// giving <b>normalised</b> outputs, with no clipping and no (de)normalisation in the graph (the ONNX files' only extra
/// node subtracts a mean image that has no measurable effect: all 45 networks agree with ONNX Runtime to about 4e-6
/// relative in float32, see NNetReaderTests). VNN-COMP and Marabou ACAS Xu properties are written in those normalised
/// units. <see cref="ToGraph"/> with <c>rawUnits: true</c> adds the file's normalisation around the layers instead
/// (still without clipping: the box of a property is where limits belong).</para>
/// </summary>
public static class NNetReader
{
    /// <summary>Reads <paramref name="path"/> as a graph over normalised inputs and outputs (like the ONNX versions).</summary>
    /// <exception cref="NNetException">malformed file, with the line.</exception>
    public static ComputationGraph Read(string path) => ToGraph(Load(path));

    /// <summary>Reads the file's layers and normalisation constants.</summary>
    public static NNetNetwork Load(string path)
    {
        using var r = new StreamReader(Certify.IO.InputFile.Open(path, Certify.IO.InputFile.MaxModelBytes, problem => new NNetException(path, 0, problem)));
        try { return Load(r, path); }
        catch (IOException e) { throw new NNetException(path, 0, $"cannot read the file ({e.Message})"); }
    }

    /// <summary>Reads a network from <paramref name="reader"/>; <paramref name="displayName"/> names it in errors.</summary>
    public static NNetNetwork Load(TextReader reader, string displayName) => new Parser(reader, displayName).Parse();

    /// <summary>
    /// Builds the graph: <c>Linear → Relu</c> per hidden layer and a final <c>Linear</c>, all in float64 (convert with
    /// <see cref="ComputationGraph.To"/>). With <paramref name="rawUnits"/>, an <see cref="AffineOp"/> normalises raw
    /// inputs first and another maps the outputs back to raw units.
    /// </summary>
    /// <exception cref="NNetException">when a parameter is not finite (e.g. a normalisation range so small that 1/range overflows).</exception>
    public static ComputationGraph ToGraph(NNetNetwork net, bool rawUnits = false)
    {
        // The parser already refuses non-finite numbers (naming the line); this catches what the arithmetic below makes of them.
        try { return BuildGraph(net, rawUnits); }
        catch (GraphException e) { throw new NNetException(net.Source, 0, e.Message); }
    }

    static ComputationGraph BuildGraph(NNetNetwork net, bool rawUnits)
    {
        var b = new GraphBuilder(new long[] { net.InputSize }, "input", net.Source);
        int x = b.InputId;
        if (rawUnits)
        {
            var scale = net.InputRanges.Select(r => 1 / r).ToArray();
            var shift = net.InputMeans.Zip(net.InputRanges, (m, r) => -m / r).ToArray();
            x = b.Add(new AffineOp(tensor(scale, ScalarType.Float64), tensor(shift, ScalarType.Float64)), "normalise", "nnet input normalisation", x);
        }
        int layers = net.Weights.Count;
        for (int k = 0; k < layers; k++)
        {
            var w = net.Weights[k];
            var flat = new double[w.Length];
            Buffer.BlockCopy(w, 0, flat, 0, w.Length * sizeof(double));
            var weight = tensor(flat, ScalarType.Float64).reshape(w.GetLength(0), w.GetLength(1));
            x = b.Add(new LinearOp(weight, tensor(net.Biases[k], ScalarType.Float64)), $"layer{k + 1}", $"nnet layer {k + 1}", x);
            if (k < layers - 1) x = b.Add(new ReluOp(), $"relu{k + 1}", $"nnet layer {k + 1}", x);
        }
        if (rawUnits)
        {
            var n = net.OutputSize;
            x = b.Add(new AffineOp(tensor(Enumerable.Repeat(net.OutputRange, n).ToArray(), ScalarType.Float64),
                                   tensor(Enumerable.Repeat(net.OutputMean, n).ToArray(), ScalarType.Float64)),
                      "denormalise", "nnet output normalisation", x);
        }
        return b.Build(x);
    }

    /// <summary>Line-oriented reader: after <c>//</c> comments, one record per line, values separated by commas.</summary>
    sealed class Parser(TextReader reader, string file)
    {
        int _line;
        int _lastLine;

        /// <summary>The next non-empty, non-comment line's values.</summary>
        string[] NextRecord(string what)
        {
            string? text;
            while ((text = reader.ReadLine()) is not null)
            {
                _line++;
                var t = text.Trim();
                if (t.Length == 0 || t.StartsWith("//", StringComparison.Ordinal)) continue;
                _lastLine = _line;
                return t.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            }
            throw new NNetException(file, _line, $"file ends before {what}");
        }

        double[] Numbers(string what, int count)
        {
            var rec = NextRecord(what);
            if (rec.Length != count)
                throw new NNetException(file, _line, $"{what}: expected {count} value{(count == 1 ? "" : "s")}, found {rec.Length}");
            var v = new double[count];
            for (int i = 0; i < count; i++)
                if (!double.TryParse(rec[i], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) || !double.IsFinite(v[i]))
                    throw new NNetException(file, _line, $"{what}: value {i + 1} ('{rec[i]}') is not a finite number");
            return v;
        }

        int[] Integers(string what, int count)
        {
            var v = Numbers(what, count);
            if (v.Any(d => d != Math.Floor(d) || d < 0 || d > int.MaxValue))
                throw new NNetException(file, _line, $"{what}: expected non-negative integers");
            return v.Select(d => (int)d).ToArray();
        }

        public NNetNetwork Parse()
        {
            var header = Integers("the header (layers, inputs, outputs, largest layer)", 4);
            int layers = header[0], inputs = header[1], outputs = header[2];
            if (layers < 1) throw new NNetException(file, _line, $"the network must have at least one layer, found {layers}");
            int headerLine = _line;
            var sizes = Integers($"the layer sizes ({layers + 1} values)", layers + 1);
            if (sizes.Any(s => s < 1)) throw new NNetException(file, _line, "layer sizes must be positive");
            if (sizes[0] != inputs || sizes[^1] != outputs)
                throw new NNetException(file, _line, $"layer sizes start with {sizes[0]} and end with {sizes[^1]} but the header (line {headerLine}) says {inputs} inputs and {outputs} outputs");
            Numbers("the 'symmetric' flag", 1);
            var mins = Numbers($"the input minimums ({inputs} values)", inputs);
            var maxs = Numbers($"the input maximums ({inputs} values)", inputs);
            var means = Numbers($"the means ({inputs} inputs + 1 output)", inputs + 1);
            var ranges = Numbers($"the ranges ({inputs} inputs + 1 output)", inputs + 1);
            if (ranges.Any(r => r == 0)) throw new NNetException(file, _line, "ranges must be non-zero");
            var weights = new List<double[,]>(layers);
            var biases = new List<double[]>(layers);
            for (int k = 0; k < layers; k++)
            {
                int nin = sizes[k], nout = sizes[k + 1];
                // Rows are read before the matrix is allocated, so memory follows what the file holds, not what its header
                // claims: a header declaring 2,000,000,000 neurons ends in "file ends before weight row 3", not in an
                // out-of-memory crash.
                var rows = new List<double[]>();
                for (int o = 0; o < nout; o++) rows.Add(Numbers($"weight row {o + 1} of layer {k + 1} ({nin} values)", nin));
                var w = new double[nout, nin];
                for (int o = 0; o < nout; o++)
                    for (int i = 0; i < nin; i++) w[o, i] = rows[o][i];
                var bias = new double[nout];
                for (int o = 0; o < nout; o++) bias[o] = Numbers($"bias {o + 1} of layer {k + 1}", 1)[0];
                weights.Add(w);
                biases.Add(bias);
            }
            string? extra;
            while ((extra = reader.ReadLine()) is not null)
            {
                _line++;
                if (extra.Trim().Length > 0 && !extra.TrimStart().StartsWith("//", StringComparison.Ordinal))
                    throw new NNetException(file, _line, $"unexpected content after the last layer's biases (line {_lastLine})");
            }
            return new NNetNetwork(sizes, mins, maxs, means[..inputs], ranges[..inputs], means[inputs], ranges[inputs], weights, biases, file);
        }
    }
}

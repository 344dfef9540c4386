using System.Security.Cryptography;
using Certify.Checker;
using Certify.Graph;
using Certify.Operators;
using Certify.Spec;
using static TorchSharp.torch;

namespace Certify.Verification.Proofs;

/// <summary>
/// Turns Certify's graph and specification into the plain forms the independent checker reads (<see cref="PlainNetwork"/>,
/// <see cref="PlainProperty"/>), copying every weight exactly (the stored float32 or float64 values, as doubles; no op is
/// folded into another, so no product of weights is rounded here). Operators the checker has no rule for make the network
/// "not checkable", named. The checker does not trust this conversion: it compares its network with ONNX Runtime first.
/// </summary>
public static class CheckerInputs
{
    /// <summary>The first reason the checker cannot handle <paramref name="graph"/> ("not checkable: ..."), or null.</summary>
    public static string? NotCheckable(ComputationGraph graph)
    {
        try { Network(graph); return null; }
        catch (NotCheckableException e) { return e.Message; }
    }

    /// <summary>The graph as a chain of affine steps (Linear, elementwise affine, Conv), ReLU/LeakyReLU and MaxPool steps.</summary>
    /// <exception cref="NotCheckableException">for an operator or a graph shape the checker does not support.</exception>
    public static PlainNetwork Network(ComputationGraph graph)
    {
        using var scope = NewDisposeScope();
        var steps = new List<Step>();
        int previous = 0;
        long size = graph.InputSize;
        foreach (var node in graph.Nodes.Skip(1))
        {
            if (node.Inputs.Count != 1 || node.Inputs[0] != previous)
                throw new NotCheckableException($"not checkable: node '{node.Name}' ({node.Op.Kind}) is not part of a chain (the checker reads chains of layers only)");
            previous = node.Id;
            switch (node.Op)
            {
                case ReshapeOp:
                    break;   // the flat row-major layout is unchanged
                case LinearOp lin:
                    if (node.Inputs.Count != 1 || lin.InFeatures != size)
                        throw new NotCheckableException($"not checkable: node '{node.Name}' (Linear) applied to a tensor of more than one row");
                    steps.Add(new AffineStep(node.Name, (int)lin.InFeatures, (int)lin.OutFeatures, Doubles(lin.Weight),
                        lin.Bias is null ? new double[lin.OutFeatures] : Doubles(lin.Bias)));
                    break;
                case AffineOp aff:
                {
                    int n = (int)size;
                    var shape = node.Shape;
                    var scale = aff.Scale is null ? Enumerable.Repeat(1.0, n).ToArray() : Doubles(aff.Scale.to_type(ScalarType.Float64).expand(shape));
                    var shift = aff.Shift is null ? new double[n] : Doubles(aff.Shift.to_type(ScalarType.Float64).expand(shape));
                    var w = new double[(long)n * n];
                    for (int i = 0; i < n; i++) w[(long)i * n + i] = scale[i];
                    steps.Add(new AffineStep(node.Name, n, n, w, shift));
                    break;
                }
                case ReluOp or LeakyReluOp:
                    if (NegativeSlope(node.Op) is not { } slope)
                        throw new NotCheckableException($"not checkable: LeakyRelu (node '{node.Name}') with alpha {((LeakyReluOp)node.Op).Alpha} (the checker's rule needs 0 ≤ alpha < 1)");
                    steps.Add(new ReluStep(node.Name, (int)size, slope));
                    break;
                case ConvOp conv:
                    steps.Add(ConvolutionAsAffine(node, conv, graph.Nodes[node.Inputs[0]].Shape));
                    break;
                case MaxPoolOp pool:
                    steps.Add(PoolingWindows(node, pool, graph.Nodes[node.Inputs[0]].Shape));
                    break;
                default:
                    throw new NotCheckableException($"not checkable: {node.Op.Kind} (node '{node.Name}') has no rule in the checker");
            }
            size = node.Size;
        }
        if (previous != graph.OutputId) throw new NotCheckableException("not checkable: the output is not the last node of the chain");
        try { return new PlainNetwork((int)graph.InputSize, steps); }
        catch (CertificateException e) { throw new NotCheckableException("not checkable: " + e.Message); }
    }

    /// <summary>
    /// The negative slope of a node the checker reads as a <see cref="ReluStep"/> (0 for ReLU, alpha for LeakyReLU with
    /// 0 ≤ alpha &lt; 1, where it is convex, nondecreasing and worth splitting), null for any other node.
    /// </summary>
    public static double? NegativeSlope(Op op) => op switch
    {
        ReluOp => 0,
        LeakyReluOp { Alpha: >= 0 and < 1 } l => l.Alpha,
        _ => null,
    };

    /// <summary>Largest weight matrix (entries) a convolution is written as; past it the network is "not checkable".</summary>
    const long MaxConvolutionEntries = 16_000_000;

    /// <summary>
    /// A 1-d or 2-d convolution (any padding, stride, dilation, groups) as the dense affine map it is: output (o, y, x)
    /// gets weight W[o, c − g·C/groups, ky, kx] from input (c, y·sy − py + ky·dy, x·sx − px + kx·dx) when that lies inside
    /// the input (padding is zeros). Each matrix entry is one stored weight, copied: no arithmetic, so nothing is rounded.
    /// </summary>
    static AffineStep ConvolutionAsAffine(Node node, ConvOp conv, long[] inputShape)
    {
        if (conv.SpatialDims > 2 || inputShape.Length != conv.SpatialDims + 1 || node.Shape.Length != conv.SpatialDims + 1)
            throw new NotCheckableException($"not checkable: Conv (node '{node.Name}') with {conv.SpatialDims} spatial dimensions (the checker reads 1-d and 2-d)");
        bool two = conv.SpatialDims == 2;
        int cin = (int)inputShape[0], h = two ? (int)inputShape[1] : 1, w = (int)inputShape[^1];
        int cout = (int)node.Shape[0], ho = two ? (int)node.Shape[1] : 1, wo = (int)node.Shape[^1];
        long inSize = (long)cin * h * w, outSize = (long)cout * ho * wo;
        if (inSize * outSize > MaxConvolutionEntries)
            throw new NotCheckableException($"not checkable: Conv (node '{node.Name}') is {outSize}x{inSize} as a matrix, more than the checker's {MaxConvolutionEntries} entries");
        var kernel = Doubles(conv.Weight);
        int kh = two ? (int)conv.Weight.shape[2] : 1, kw = (int)conv.Weight.shape[^1];
        int sy = two ? (int)conv.Strides[0] : 1, sx = (int)conv.Strides[^1];
        int dy = two ? (int)conv.Dilations[0] : 1, dx = (int)conv.Dilations[^1];
        int py = two ? (int)conv.Pads[0] : 0, px = (int)conv.Pads[conv.SpatialDims - 1];
        int perGroupIn = (int)conv.Weight.shape[1], perGroupOut = cout / (int)conv.Groups;
        var matrix = new double[outSize * inSize];
        var bias = conv.Bias is null ? new double[outSize] : Doubles(conv.Bias).SelectMany(b => Enumerable.Repeat(b, ho * wo)).ToArray();
        for (int o = 0; o < cout; o++)
        {
            int group = o / perGroupOut;
            for (int y = 0; y < ho; y++)
                for (int x = 0; x < wo; x++)
                {
                    long row = ((long)o * ho + y) * wo + x;
                    for (int c = 0; c < perGroupIn; c++)
                        for (int ky = 0; ky < kh; ky++)
                        {
                            int iy = y * sy - py + ky * dy;
                            if (iy < 0 || iy >= h) continue;
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int ix = x * sx - px + kx * dx;
                                if (ix < 0 || ix >= w) continue;
                                int ci = group * perGroupIn + c;
                                matrix[row * inSize + ((long)ci * h + iy) * w + ix] = kernel[(((long)o * perGroupIn + c) * kh + ky) * kw + kx];
                            }
                        }
                }
        }
        return new AffineStep(node.Name, (int)inSize, (int)outSize, matrix, bias);
    }

    /// <summary>
    /// A 1-d or 2-d max pooling as its windows: output (c, y, x) takes the maximum over input (c, y·sy − py + ky·dy,
    /// x·sx − px + kx·dx) for the kernel offsets that fall inside the input (padding counts as −∞, so it is left out).
    /// </summary>
    static MaxPoolStep PoolingWindows(Node node, MaxPoolOp pool, long[] inputShape)
    {
        int dims = pool.Kernel.Length;
        if (dims > 2 || inputShape.Length != dims + 1 || node.Shape.Length != dims + 1)
            throw new NotCheckableException($"not checkable: MaxPool (node '{node.Name}') with {dims} spatial dimensions (the checker reads 1-d and 2-d)");
        bool two = dims == 2;
        int c = (int)inputShape[0], h = two ? (int)inputShape[1] : 1, w = (int)inputShape[^1];
        int ho = two ? (int)node.Shape[1] : 1, wo = (int)node.Shape[^1];
        int kh = two ? (int)pool.Kernel[0] : 1, kw = (int)pool.Kernel[^1];
        int sy = two ? (int)pool.Strides[0] : 1, sx = (int)pool.Strides[^1];
        int dy = two ? (int)pool.Dilations[0] : 1, dx = (int)pool.Dilations[^1];
        int py = two ? (int)pool.Pads[0] : 0, px = (int)pool.Pads[dims - 1];
        var windows = new int[c * ho * wo][];
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < ho; y++)
                for (int x = 0; x < wo; x++)
                {
                    var window = new List<int>();
                    for (int ky = 0; ky < kh; ky++)
                    {
                        int iy = y * sy - py + ky * dy;
                        if (iy < 0 || iy >= h) continue;
                        for (int kx = 0; kx < kw; kx++)
                        {
                            int ix = x * sx - px + kx * dx;
                            if (ix >= 0 && ix < w) window.Add((ch * h + iy) * w + ix);
                        }
                    }
                    windows[(ch * ho + y) * wo + x] = window.ToArray();
                }
        return new MaxPoolStep(node.Name, c * h * w, windows);
    }

    /// <summary>The specification's regions as plain numbers (rows numbered disjunct by disjunct, as in the certificate).</summary>
    public static PlainProperty Property(Specification spec) => new(spec.Regions.Select(r => new PlainRegion(
        r.Lower.ToArray(), r.Upper.ToArray(),
        r.Unsafe.Disjuncts.Select(d => (IReadOnlyList<PlainRow>)d.Rows.Select(h => new PlainRow(h.C.ToArray(), h.D)).ToList()).ToList())).ToList());

    /// <summary>Lower-case hex SHA-256 of a file's bytes.</summary>
    public static string Sha256(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }

    static double[] Doubles(Tensor t) => t.to_type(ScalarType.Float64).contiguous().reshape(-1).data<double>().ToArray();
}

/// <summary>The network or proof uses something the checker does not support; the message starts "not checkable: ".</summary>
public sealed class NotCheckableException(string message) : Exception(message);

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

    /// <summary>
    /// The graph as the checker's steps, wired as the graph is (a residual Add reads both its branches): Linear, the
    /// elementwise affine (BatchNorm, arithmetic with constants), Conv, AvgPool, constant Pad, Concat and Add as linear
    /// steps, ReLU/LeakyReLU and MaxPool; Reshape/Flatten is the identity on the flat row-major layout.
    /// </summary>
    /// <exception cref="NotCheckableException">for an operator or a graph shape the checker does not support.</exception>
    public static PlainNetwork Network(ComputationGraph graph)
    {
        using var scope = NewDisposeScope();
        var steps = new List<Step>();
        var stepOf = new int[graph.Nodes.Count];   // per node, the step whose output it is (-1: the input)
        stepOf[0] = -1;
        foreach (var node in graph.Nodes.Skip(1))
        {
            var from = node.Inputs.Select(i => stepOf[i]).ToArray();
            var inShape = graph.Nodes[node.Inputs[0]].Shape;
            long size = graph.Nodes[node.Inputs[0]].Size;
            Step step;
            switch (node.Op)
            {
                case ReshapeOp:
                    stepOf[node.Id] = from[0];   // the flat row-major layout is unchanged
                    continue;
                case LinearOp lin:
                    if (lin.InFeatures != size)
                        throw new NotCheckableException($"not checkable: node '{node.Name}' (Linear) applied to a tensor of more than one row");
                    step = new AffineStep(node.Name, (int)lin.InFeatures, (int)lin.OutFeatures, Doubles(lin.Weight),
                        lin.Bias is null ? new double[lin.OutFeatures] : Doubles(lin.Bias));
                    break;
                case AffineOp aff:
                    step = new DiagonalStep(node.Name,
                        aff.Scale is null ? Enumerable.Repeat(1.0, (int)size).ToArray() : Doubles(aff.Scale.to_type(ScalarType.Float64).expand(node.Shape)),
                        aff.Shift is null ? new double[size] : Doubles(aff.Shift.to_type(ScalarType.Float64).expand(node.Shape)));
                    break;
                case ReluOp or LeakyReluOp:
                    if (NegativeSlope(node.Op) is not { } slope)
                        throw new NotCheckableException($"not checkable: LeakyRelu (node '{node.Name}') with alpha {((LeakyReluOp)node.Op).Alpha} (the checker's rule needs 0 ≤ alpha < 1)");
                    step = new ReluStep(node.Name, (int)size, slope);
                    break;
                case SigmoidOp:
                    step = new SigmoidStep(node.Name, (int)size);
                    break;
                case ConvOp conv:
                    step = Convolution(node, conv, inShape);
                    break;
                case MaxPoolOp pool:
                    step = new MaxPoolStep(node.Name, (int)size, Windows(node, pool.Kernel, pool.Strides, pool.Dilations, pool.Pads, inShape, "MaxPool"));
                    break;
                case AvgPoolOp avg:
                {
                    if (avg.CeilMode) throw new NotCheckableException($"not checkable: AvgPool (node '{node.Name}') with ceil_mode (the checker reads floor mode)");
                    var pads = avg.Pads.Concat(avg.Pads).ToArray();   // symmetric: one per axis
                    var windows = Windows(node, avg.Kernel, avg.Strides, avg.Kernel.Select(_ => 1L).ToArray(), pads, inShape, "AvgPool");
                    long area = avg.Kernel.Aggregate(1L, (p, q) => p * q);
                    step = new AvgPoolStep(node.Name, (int)size, windows, windows.Select(w => avg.CountIncludePad ? area : (double)w.Length).ToArray());
                    break;
                }
                case PadOp pad:
                    step = new SelectStep(node.Name, (int)size, PadSource(pad.Pads, inShape, node.Shape), pad.Value);
                    break;
                case AddOp:
                    if (graph.Nodes[node.Inputs[1]].Size != size || node.Size != size)
                        throw new NotCheckableException($"not checkable: Add (node '{node.Name}') of tensors of different sizes (broadcasting)");
                    step = new SumStep(node.Name, (int)size);
                    break;
                case ConcatOp cat:
                    step = new SelectStep(node.Name, (int)node.Inputs.Sum(i => graph.Nodes[i].Size),
                        ConcatSource(cat.Axis, node.Inputs.Select(i => graph.Nodes[i].Shape).ToArray()));
                    break;
                default:
                    throw new NotCheckableException($"not checkable: {node.Op.Kind} (node '{node.Name}') has no rule in the checker");
            }
            bool chained = from.Length == 1 && from[0] == steps.Count - 1;
            steps.Add(chained ? step : step with { From = from });
            stepOf[node.Id] = steps.Count - 1;
        }
        if (steps.Count == 0 || stepOf[graph.OutputId] != steps.Count - 1)
            throw new NotCheckableException("not checkable: the output is not the last step of the network");
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

    /// <summary>
    /// A 1-d or 2-d convolution (any padding, stride, dilation, groups) as the checker's <see cref="ConvStep"/>: its kernel
    /// and geometry, copied (no arithmetic, so nothing is rounded); 1-d is 2-d with height 1. The end pads are implied by
    /// the output shape.
    /// </summary>
    static ConvStep Convolution(Node node, ConvOp conv, long[] inputShape)
    {
        if (conv.SpatialDims > 2 || inputShape.Length != conv.SpatialDims + 1 || node.Shape.Length != conv.SpatialDims + 1)
            throw new NotCheckableException($"not checkable: Conv (node '{node.Name}') with {conv.SpatialDims} spatial dimensions (the checker reads 1-d and 2-d)");
        bool two = conv.SpatialDims == 2;
        return new ConvStep(node.Name, (int)inputShape[0], two ? (int)inputShape[1] : 1, (int)inputShape[^1],
            (int)node.Shape[0], two ? (int)node.Shape[1] : 1, (int)node.Shape[^1], Doubles(conv.Weight),
            two ? (int)conv.Weight.shape[2] : 1, (int)conv.Weight.shape[^1],
            two ? (int)conv.Strides[0] : 1, (int)conv.Strides[^1], two ? (int)conv.Pads[0] : 0, (int)conv.Pads[conv.SpatialDims - 1],
            two ? (int)conv.Dilations[0] : 1, (int)conv.Dilations[^1], (int)conv.Groups,
            conv.Bias is null ? new double[node.Shape[0]] : Doubles(conv.Bias));
    }

    /// <summary>
    /// The windows of a 1-d or 2-d pooling: output (c, y, x) covers input (c, y·sy − py + ky·dy, x·sx − px + kx·dx) for
    /// the kernel offsets that fall inside the input (padding is left out of every window).
    /// </summary>
    static int[][] Windows(Node node, long[] kernel, long[] strides, long[] dilations, long[] pads, long[] inputShape, string kind)
    {
        int dims = kernel.Length;
        if (dims > 2 || inputShape.Length != dims + 1 || node.Shape.Length != dims + 1)
            throw new NotCheckableException($"not checkable: {kind} (node '{node.Name}') with {dims} spatial dimensions (the checker reads 1-d and 2-d)");
        bool two = dims == 2;
        int c = (int)inputShape[0], h = two ? (int)inputShape[1] : 1, w = (int)inputShape[^1];
        int ho = two ? (int)node.Shape[1] : 1, wo = (int)node.Shape[^1];
        int kh = two ? (int)kernel[0] : 1, kw = (int)kernel[^1];
        int sy = two ? (int)strides[0] : 1, sx = (int)strides[^1];
        int dy = two ? (int)dilations[0] : 1, dx = (int)dilations[^1];
        int py = two ? (int)pads[0] : 0, px = (int)pads[dims - 1];
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
        return windows;
    }

    /// <summary>Constant padding as an index map: output position p reads input p − begin on every axis, or the constant (−1) outside it.</summary>
    static int[] PadSource(long[] pads, long[] inShape, long[] outShape)
    {
        int dims = inShape.Length;
        long total = outShape.Aggregate(1L, (p, q) => p * q);
        var source = new int[total];
        var at = new long[dims];
        for (long o = 0; o < total; o++)
        {
            long rest = o, flat = 0;
            for (int d = dims - 1; d >= 0; d--) { at[d] = rest % outShape[d] - pads[d]; rest /= outShape[d]; }
            bool inside = true;
            for (int d = 0; d < dims; d++) { inside &= at[d] >= 0 && at[d] < inShape[d]; flat = flat * inShape[d] + at[d]; }
            source[o] = inside ? (int)flat : -1;
        }
        return source;
    }

    /// <summary>Concatenation along <paramref name="axis"/> as an index map into the inputs laid end to end.</summary>
    static int[] ConcatSource(int axis, long[][] shapes)
    {
        long outer = shapes[0].Take(axis).Aggregate(1L, (p, q) => p * q), inner = shapes[0].Skip(axis + 1).Aggregate(1L, (p, q) => p * q);
        long along = shapes.Sum(s => s[axis]);
        var source = new int[outer * along * inner];
        long offset = 0, start = 0;   // position along the axis, and the input's start in the concatenated input
        foreach (var s in shapes)
        {
            for (long o = 0; o < outer; o++)
                for (long t = 0; t < s[axis]; t++)
                    for (long r = 0; r < inner; r++)
                        source[(o * along + offset + t) * inner + r] = (int)(start + (o * s[axis] + t) * inner + r);
            offset += s[axis];
            start += outer * s[axis] * inner;
        }
        return source;
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

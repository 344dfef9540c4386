using Certify.Graph;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

// Shape-changing and data-movement operators: Flatten, Reshape, Squeeze, Unsqueeze, Transpose, Concat, Slice, Split,
// Gather, Pad. The shape computations are shared with constant folding. (Part of the ONNX reader, kept with the ops it
// produces: ReshapeOp, TransposeOp, ConcatOp, SliceOp, GatherOp, PadOp.)
internal sealed partial class OnnxGraphReader
{
    /// <summary>Reads an int64 vector that newer opsets take as input <paramref name="input"/> and older ones as attribute <paramref name="attr"/>.</summary>
    internal long[]? IntsFromInputOrAttribute(OnnxValue?[] inputs, int input, string attr)
    {
        if (input < inputs.Length && inputs[input] is not null)
            return OnnxTensors.Longs(Const(inputs, input, attr)!).ToArray();
        return OnnxAttributes.Ints(_node, attr);
    }

    // Flatten, Reshape, Squeeze and Unsqueeze are all one Reshape of the data path to the shape ONNX computes.
    internal void Flatten(OnnxValue?[] x) => Set(0, ReshapeTo(Var(x, 0), FlattenShape(Var(x, 0).Shape)));
    internal void Reshape(OnnxValue?[] x) => Set(0, ReshapeTo(Var(x, 0), ReshapeShape(Var(x, 0).Shape, x)));
    internal void Squeeze(OnnxValue?[] x) => Set(0, ReshapeTo(Var(x, 0), SqueezeShape(Var(x, 0).Shape, x)));
    internal void Unsqueeze(OnnxValue?[] x) => Set(0, ReshapeTo(Var(x, 0), UnsqueezeShape(Var(x, 0).Shape, x)));

    internal long[] FlattenShape(long[] shape)
    {
        long axis = OnnxAttributes.Int(_node, "axis", 1);
        if (axis < 0) axis += shape.Length;
        if (axis < 0 || axis > shape.Length) throw Fail($"axis {axis} is out of range for rank {shape.Length}");
        long a = shape.Take((int)axis).Aggregate(1L, (p, d) => p * d), b = shape.Skip((int)axis).Aggregate(1L, (p, d) => p * d);
        return new[] { a, b };
    }

    internal long[] ReshapeShape(long[] shape, OnnxValue?[] inputs)
    {
        var target = IntsFromInputOrAttribute(inputs, 1, "shape") ?? throw Fail("has no target shape");
        bool allowZero = OnnxAttributes.Int(_node, "allowzero", 0) != 0;
        var result = new long[target.Length];
        int minus = -1;
        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] == 0 && !allowZero)
            {
                if (i >= shape.Length) throw Fail($"target shape {Op.ShapeText(target)} copies dimension {i}, which the input {Op.ShapeText(shape)} lacks");
                result[i] = shape[i];
            }
            else if (target[i] == -1)
            {
                if (minus >= 0) throw Fail($"target shape {Op.ShapeText(target)} has more than one -1");
                minus = i; result[i] = 1;
            }
            else if (target[i] < 0) throw Fail($"target shape {Op.ShapeText(target)} has a negative entry");
            else result[i] = target[i];
        }
        long total = shape.Aggregate(1L, (p, d) => p * d), known = result.Aggregate(1L, (p, d) => p * d);
        if (minus >= 0)
        {
            if (known == 0 || total % known != 0) throw Fail($"cannot reshape {Op.ShapeText(shape)} to {Op.ShapeText(target)}");
            result[minus] = total / known;
        }
        else if (known != total) throw Fail($"cannot reshape {Op.ShapeText(shape)} ({total} elements) to {Op.ShapeText(target)}");
        return result;
    }

    internal long[] SqueezeShape(long[] shape, OnnxValue?[] inputs)
    {
        var axes = IntsFromInputOrAttribute(inputs, 1, "axes");
        if (axes is null || axes.Length == 0) return shape.Where(d => d != 1).ToArray();
        var norm = axes.Select(a => NormAxis(a, shape.Length)).ToHashSet();
        foreach (var a in norm) if (shape[a] != 1) throw Fail($"cannot squeeze axis {a} of size {shape[a]} in {Op.ShapeText(shape)}");
        return shape.Where((_, i) => !norm.Contains(i)).ToArray();
    }

    internal long[] UnsqueezeShape(long[] shape, OnnxValue?[] inputs)
    {
        var axes = IntsFromInputOrAttribute(inputs, 1, "axes") ?? throw Fail("has no axes");
        int rank = shape.Length + axes.Length;
        var norm = axes.Select(a => NormAxis(a, rank)).ToHashSet();
        if (norm.Count != axes.Length) throw Fail("repeats an axis");
        var result = new long[rank];
        int k = 0;
        for (int i = 0; i < rank; i++) result[i] = norm.Contains(i) ? 1 : shape[k++];
        return result;
    }

    internal long[] Perm(int rank)
    {
        var perm = OnnxAttributes.Ints(_node, "perm") ?? Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray();
        if (perm.Length != rank || perm.OrderBy(p => p).Select((p, i) => p != i).Any(b => b))
            throw Fail($"perm [{string.Join(",", perm)}] is not a permutation of {rank} axes");
        return perm;
    }

    internal void Transpose(OnnxValue?[] inputs)
    {
        var x = Var(inputs, 0);
        var perm = Perm(x.Rank);
        var outShape = perm.Select(p => x.Shape[p]).ToArray();
        if (perm.Select((p, i) => p == i).All(b => b)) { Set(0, x); return; }
        if (x.Batched && perm[0] == 0)
        {
            var samplePerm = perm.Skip(1).Select(p => p - 1).ToArray();
            Set(0, new VarValue(Add(new TransposeOp(samplePerm), x.Id), outShape, true));
            return;
        }
        x = Unbatch(x);
        Set(0, new VarValue(Add(new TransposeOp(perm), x.Id), outShape, false));
    }

    /// <summary>One step of a Slice along an ONNX axis, with start/end already clamped (positive step).</summary>
    internal readonly record struct SliceStep(long Axis, long Start, long End, long Step);

    internal List<SliceStep> SliceSteps(long[] shape, OnnxValue?[] inputs)
    {
        long[] starts, ends; long[]? axes, steps;
        if (Opset < 10)
        {
            starts = OnnxAttributes.Ints(_node, "starts") ?? throw Fail("has no starts");
            ends = OnnxAttributes.Ints(_node, "ends") ?? throw Fail("has no ends");
            axes = OnnxAttributes.Ints(_node, "axes"); steps = null;
        }
        else
        {
            starts = OnnxTensors.Longs(Const(inputs, 1, "starts") ?? throw Fail("has no starts"));
            ends = OnnxTensors.Longs(Const(inputs, 2, "ends") ?? throw Fail("has no ends"));
            axes = Const(inputs, 3, "axes") is { } a ? OnnxTensors.Longs(a) : null;
            steps = Const(inputs, 4, "steps") is { } s ? OnnxTensors.Longs(s) : null;
        }
        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        steps ??= Enumerable.Repeat(1L, starts.Length).ToArray();
        if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length)
            throw Fail("has starts, ends, axes and steps of different lengths");
        var result = new List<SliceStep>();
        for (int i = 0; i < starts.Length; i++)
        {
            long axis = NormAxis(axes[i], shape.Length), dim = shape[axis], step = steps[i];
            if (step <= 0) throw Fail($"uses step {step}; Certify supports positive slice steps only");
            long start = starts[i] < 0 ? starts[i] + dim : starts[i];
            long end = ends[i] < 0 ? ends[i] + dim : ends[i];
            start = Math.Clamp(start, 0, dim); end = Math.Clamp(end, 0, dim);
            if (end <= start) throw Fail($"selects no element of axis {axis} (start {starts[i]}, end {ends[i]}); empty tensors are not supported");
            result.Add(new SliceStep(axis, start, end, step));
        }
        return result;
    }

    internal void Slice(OnnxValue?[] inputs)
    {
        var x = Var(inputs, 0);
        var steps = SliceSteps(x.Shape, inputs).Where(s => !(s.Start == 0 && s.End == x.Shape[s.Axis] && s.Step == 1)).ToList();
        Set(0, ApplySlices(x, steps, OutName()));
    }

    VarValue ApplySlices(VarValue x, IReadOnlyList<SliceStep> steps, string name)
    {
        var axes = SampleAxes(ref x, steps.Select(s => s.Axis));
        var shape = (long[])x.Shape.Clone();
        int id = x.Id;
        for (int i = 0; i < steps.Count; i++)
        {
            var s = steps[i];
            id = Add(new SliceOp((int)axes[i], s.Start, s.End, s.Step), name, id);
            shape[s.Axis] = (s.End - s.Start + s.Step - 1) / s.Step;
        }
        return x with { Id = id, Shape = shape };
    }

    /// <summary>The sizes of the parts of a Split along its axis.</summary>
    internal long[] SplitSizes(long dim, OnnxValue?[] inputs)
    {
        var split = Opset >= 13 ? (Const(inputs, 1, "split") is { } s ? OnnxTensors.Longs(s) : null) : OnnxAttributes.Ints(_node, "split");
        int parts = (int)OnnxAttributes.Int(_node, "num_outputs", _node.Output.Count);
        if (split is null)
        {
            long size = (dim + parts - 1) / parts;
            split = Enumerable.Range(0, parts).Select(i => Math.Max(0, Math.Min(size, dim - i * size))).ToArray();
        }
        if (split.Sum() != dim) throw Fail($"split sizes [{string.Join(",", split)}] do not add up to the axis size {dim}");
        if (split.Any(s => s <= 0)) throw Fail("produces an empty part; empty tensors are not supported");
        return split;
    }

    internal void Split(OnnxValue?[] inputs)
    {
        var x = Var(inputs, 0);
        long axis = NormAxis(OnnxAttributes.Int(_node, "axis", 0), x.Rank);
        var sizes = SplitSizes(x.Shape[axis], inputs);
        long start = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            var step = new SliceStep(axis, start, start + sizes[i], 1);
            start += sizes[i];
            if (i >= _node.Output.Count || _node.Output[i] == "") continue;
            Set(i, ApplySlices(x, new[] { step }, OutName(i)));
        }
    }

    internal void Gather(OnnxValue?[] inputs)
    {
        var x = Var(inputs, 0);
        var idxT = Const(inputs, 1, "indices") ?? throw Fail("has no indices");
        long axis = NormAxis(OnnxAttributes.Int(_node, "axis", 0), x.Rank);
        long dim = x.Shape[axis];
        var idx = OnnxTensors.Longs(idxT).Select(i => i < 0 ? i + dim : i).ToArray();
        if (idx.Any(i => i < 0 || i >= dim)) throw Fail($"has an index out of range for axis {axis} of size {dim}");
        if (idx.Length == 0) throw Fail("selects no element; empty tensors are not supported");
        var outShape = x.Shape.Take((int)axis).Concat(idxT.shape).Concat(x.Shape.Skip((int)axis + 1)).ToArray();
        var sampleAxis = SampleAxes(ref x, new[] { axis })[0];
        bool scalar = idxT.dim() == 0;
        int id = Add(new GatherOp((int)sampleAxis, idx, scalar), x.Id);
        var g = new VarValue(id, x.Shape.Take((int)axis).Concat(scalar ? Array.Empty<long>() : new[] { (long)idx.Length }).Concat(x.Shape.Skip((int)axis + 1)).ToArray(), x.Batched);
        Set(0, idxT.dim() <= 1 ? g : ReshapeTo(g, outShape));
    }

    internal void Concat(OnnxValue?[] inputs)
    {
        var present = inputs.Where(v => v is not null).ToList();
        var vars = present.OfType<VarValue>().ToList();
        int rank = vars[0].Rank;
        long axis = NormAxis(OnnxAttributes.Int(_node, "axis", 0), rank);
        // One layout for all operands: the first variable's, or no batch when concatenating along the batch axis.
        bool batched = vars.All(v => v.Batched) && axis != 0;
        var parts = new List<(VarValue? v, Tensor? c, long len)>();
        foreach (var p in present)
        {
            if (p is VarValue v)
            {
                if (v.Rank != rank) throw Fail("concatenates tensors of different ranks");
                var u = Reinterpret(v, v.Shape, batched);
                parts.Add((u, null, v.Shape[axis]));
            }
            else
            {
                var c = ((ConstValue)p!).Value.to_type(ScalarType.Float64);
                if (c.dim() != rank) throw Fail("concatenates tensors of different ranks");
                if (batched && c.shape[0] != 1) throw Fail("concatenates a constant whose first dimension is not the batch size 1");
                parts.Add((null, batched ? c.squeeze(0) : c, c.shape[axis]));
            }
        }
        long sampleAxis = batched ? axis - 1 : axis;
        var outShape = (long[])vars[0].Shape.Clone();
        outShape[axis] = parts.Sum(p => p.len);
        var varParts = parts.Where(p => p.v is not null).Select(p => p.v!).ToList();
        int id = varParts.Count == 1 ? varParts[0].Id : Add(new ConcatOp((int)sampleAxis), OutName(), varParts.Select(v => v.Id).ToArray());
        if (varParts.Count == parts.Count) { Set(0, new VarValue(id, outShape, batched)); return; }

        // Constants among the operands: pad the variables' concatenation with zeros for them, move every block to its
        // place with a Gather, and add the constants as the shift of an Affine (x + 0 on the variable part: exact).
        long varLen = varParts.Sum(v => v.Shape[axis]), constLen = outShape[axis] - varLen;
        var sampleRank = batched ? rank - 1 : rank;
        var pads = new long[2 * sampleRank];
        pads[sampleRank + sampleAxis] = constLen;
        id = Add(new PadOp(pads, 0), OutName() + ":padded", id);
        var order = new List<long>();
        long nextVar = 0, nextConst = varLen;
        foreach (var p in parts)
        {
            if (p.v is not null) { for (long k = 0; k < p.len; k++) order.Add(nextVar++); }
            else { for (long k = 0; k < p.len; k++) order.Add(nextConst++); }
        }
        if (order.Select((o, i) => o != i).Any(b => b)) id = Add(new GatherOp((int)sampleAxis, order.ToArray(), false), OutName() + ":ordered", id);
        var sample = batched ? outShape[1..] : outShape;
        var shift = cat(parts.Select(p =>
        {
            var s = (long[])sample.Clone(); s[sampleAxis] = p.len;
            return p.c is null ? zeros(s, ScalarType.Float64) : p.c.expand(s).contiguous();
        }).ToArray(), sampleAxis);
        id = Add(new AffineOp(null, shift), OutName(), id);
        Set(0, new VarValue(id, outShape, batched));
    }

    internal void Pad(OnnxValue?[] inputs)
    {
        var x = Var(inputs, 0);
        var mode = OnnxAttributes.String(_node, "mode") ?? "constant";
        if (mode != "constant") throw Fail($"uses mode '{mode}'; Certify supports constant padding only");
        long[] pads; double value;
        if (Opset < 11)
        {
            pads = OnnxAttributes.Ints(_node, "pads") ?? OnnxAttributes.Ints(_node, "paddings") ?? throw Fail("has no pads");
            value = OnnxAttributes.Float(_node, "value", 0);
        }
        else
        {
            pads = OnnxTensors.Longs(Const(inputs, 1, "pads") ?? throw Fail("has no pads"));
            value = Const(inputs, 2, "constant_value") is { } v && v.numel() > 0 ? OnnxTensors.Doubles(v)[0] : 0;
        }
        var axes = Const(inputs, 3, "axes") is { } ax ? OnnxTensors.Longs(ax).Select(a => NormAxis(a, x.Rank)).ToArray()
                                                     : Enumerable.Range(0, x.Rank).Select(i => (long)i).ToArray();
        if (pads.Length != 2 * axes.Length) throw Fail($"has {pads.Length} pads for {axes.Length} axes");
        if (pads.Any(p => p < 0)) throw Fail("has negative pads (cropping), which is not supported");
        var full = new long[2 * x.Rank];
        for (int i = 0; i < axes.Length; i++) { full[axes[i]] = pads[i]; full[x.Rank + axes[i]] = pads[axes.Length + i]; }
        long[] outShape;
        try { outShape = x.Shape.Select((d, i) => checked(d + full[i] + full[x.Rank + i])).ToArray(); }
        catch (OverflowException) { throw Fail("has pads whose sum overflows a 64-bit integer"); }
        // Before the PadOp is built: shape inference runs it on zeros, and pads of 2^31 allocated 16 GiB (the fuzzer).
        if (Certify.Graph.ShapeLimits.Problem(outShape, Certify.Graph.ShapeLimits.MaxNodeElements) is { } tooBig) throw Fail($"pads to {tooBig}");
        if (full.All(p => p == 0)) { Set(0, x); return; }
        if (x.Batched && (full[0] != 0 || full[x.Rank] != 0)) x = Unbatch(x);
        int off = x.Batched ? 1 : 0, r = x.Rank - off;
        var samplePads = new long[2 * r];
        for (int i = 0; i < r; i++) { samplePads[i] = full[i + off]; samplePads[r + i] = full[x.Rank + i + off]; }
        Set(0, new VarValue(Add(new PadOp(samplePads, value), x.Id), outShape, x.Batched));
    }
}

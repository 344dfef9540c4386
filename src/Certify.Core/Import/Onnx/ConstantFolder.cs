using Certify.Graph;
using Certify.Import.Onnx.Proto;
using TorchSharp;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

/// <summary>
/// Evaluates ONNX nodes whose inputs are all constants at import time (shape arithmetic, Constant, ConstantOfShape,
/// Cast, arithmetic on initializers...). Floats are computed in float64, integers in int64. Besides the supported
/// operators it folds a few that exporters emit only for shape computations (Equal, Where, Expand, Sqrt, Exp, Abs,
/// Range, Min, Max, Less, Greater, Not, Floor, Ceil).
/// </summary>
internal static class ConstantFolder
{
    static readonly HashSet<string> Foldable = new()
    {
        "Constant", "ConstantOfShape", "Shape", "Cast", "Add", "Sub", "Mul", "Div", "Neg", "Pow", "Relu", "LeakyRelu",
        "Sigmoid", "Tanh", "Sign", "Sin", "Cos", "Clip", "Softmax", "Reshape", "Flatten", "Squeeze", "Unsqueeze",
        "Transpose", "Concat", "Slice", "Split", "Gather", "Gemm", "MatMul", "ReduceSum", "ReduceMean",
        "Equal", "Where", "Expand", "Sqrt", "Exp", "Abs", "Range", "Min", "Max", "Less", "Greater", "Not", "Floor", "Ceil",
        // new operators (src/Certify.Core/Operators)
        "Reciprocal", "Log", "Softplus", "Atan", "Erf", "Gelu", "ReduceMax", "ReduceMin", "Tile",
    };

    static readonly HashSet<string> Broadcasting = new() { "Add", "Sub", "Mul", "Div", "Pow", "Min", "Max", "Equal", "Less", "Greater", "Where" };

    /// <summary>True when a node of this type can be evaluated on constant inputs.</summary>
    public static bool CanFold(string opType) => Foldable.Contains(opType);

    /// <summary>The int64 shape tensor of a tensor of ONNX shape <paramref name="shape"/> (opset-15 start/end honoured).</summary>
    public static Tensor ShapeOf(NodeProto n, long[] shape)
    {
        long r = shape.Length;
        long start = OnnxAttributes.Int(n, "start", 0), end = OnnxAttributes.Int(n, "end", r);
        if (start < 0) start += r; if (end < 0) end += r;
        start = Math.Clamp(start, 0, r); end = Math.Clamp(end, start, r);
        return torch.tensor(shape[(int)start..(int)end], ScalarType.Int64);
    }

    /// <summary><paramref name="shape"/>, when a constant of that shape may be made (see <see cref="ShapeLimits"/>); else the node's error.</summary>
    static long[] Limited(OnnxGraphReader r, long[] shape) =>
        ShapeLimits.Problem(shape, ShapeLimits.MaxConstantElements) is { } why ? throw r.Fail(why) : shape;

    public static Tensor[] Evaluate(OnnxGraphReader r, NodeProto n, Tensor?[] x)
    {
        var values = x.Select(t => t is null ? null : (OnnxValue)new ConstValue(t)).ToArray();
        Tensor X(int i) => i < x.Length && x[i] is not null ? x[i]! : throw r.Fail($"input {i} is missing");
        Tensor F(int i) => X(i).to_type(ScalarType.Float64);
        if (Broadcasting.Contains(n.OpType) && x.All(t => t is not null))
        {
            // The result of a broadcast can be far larger than its operands ([2^16, 1] + [1, 2^16]): check it first.
            var shape = x.Skip(1).Aggregate((long[]?)x[0]!.shape, (acc, t) => acc is null ? null : OnnxGraphReader.Broadcast(acc, t!.shape));
            Limited(r, shape ?? throw r.Fail("has shapes that do not broadcast"));
        }
        switch (n.OpType)
        {
            case "Constant": return new[] { ConstantAttribute(r, n) };
            case "ConstantOfShape":
            {
                var shape = Limited(r, OnnxTensors.Longs(X(0)));
                var v = OnnxAttributes.Find(n, "value")?.T is { } t ? OnnxTensors.ToTorch(t, $"node '{n.Name}'") : torch.tensor(new double[] { 0 });
                return new[] { v.reshape(1).expand(shape).contiguous() };
            }
            case "Shape": return new[] { ShapeOf(n, X(0).shape) };
            case "Cast":
            {
                int to = (int)OnnxAttributes.Int(n, "to", 1);
                if (to == (int)TensorProto.Types.DataType.Float) return new[] { X(0).to_type(ScalarType.Float32).to_type(ScalarType.Float64) };
                if (OnnxTensors.IsFloat(to)) return new[] { F(0) };
                if (to == (int)TensorProto.Types.DataType.Bool) return new[] { X(0).ne(0) };
                if (to == (int)TensorProto.Types.DataType.String) throw r.Fail("casts to string, which is not supported");
                return new[] { X(0).to_type(ScalarType.Int64) };
            }
            case "Add": case "Sub": case "Mul": case "Div": case "Pow": case "Min": case "Max":
            {
                var (a, b) = Promote(X(0), X(1));
                return new[] { n.OpType switch
                {
                    "Add" => a + b, "Sub" => a - b, "Mul" => a * b,
                    "Div" => a.dtype == ScalarType.Int64 ? a.div(b, RoundingMode.trunc) : a / b,
                    "Pow" => a.to_type(ScalarType.Float64).pow(b.to_type(ScalarType.Float64)).to_type(a.dtype),
                    "Min" => a.minimum(b), _ => a.maximum(b),
                } };
            }
            case "Equal": { var (a, b) = Promote(X(0), X(1)); return new[] { a.eq(b) }; }
            case "Less": { var (a, b) = Promote(X(0), X(1)); return new[] { a.lt(b) }; }
            case "Greater": { var (a, b) = Promote(X(0), X(1)); return new[] { a.gt(b) }; }
            case "Not": return new[] { X(0).logical_not() };
            case "Where": { var (a, b) = Promote(X(1), X(2)); return new[] { torch.where(X(0).to_type(ScalarType.Bool), a, b) }; }
            case "Neg": return new[] { -X(0) };
            case "Abs": return new[] { X(0).abs() };
            case "Relu": return new[] { F(0).relu() };
            case "LeakyRelu": return new[] { nn.functional.leaky_relu(F(0), OnnxAttributes.Float(n, "alpha", 0.01f)) };
            case "Sigmoid": return new[] { F(0).sigmoid() };
            case "Tanh": return new[] { F(0).tanh() };
            case "Sign": return new[] { X(0).sign() };
            case "Sin": return new[] { F(0).sin() };
            case "Cos": return new[] { F(0).cos() };
            case "Sqrt": return new[] { F(0).sqrt() };
            case "Exp": return new[] { F(0).exp() };
            case "Floor": return new[] { F(0).floor() };
            case "Ceil": return new[] { F(0).ceil() };
            case "Clip":
            {
                double lo = r.Opset < 11 ? OnnxAttributes.Float(n, "min", double.NegativeInfinity) : x.Length > 1 && x[1] is not null ? OnnxTensors.Doubles(x[1]!)[0] : double.NegativeInfinity;
                double hi = r.Opset < 11 ? OnnxAttributes.Float(n, "max", double.PositiveInfinity) : x.Length > 2 && x[2] is not null ? OnnxTensors.Doubles(x[2]!)[0] : double.PositiveInfinity;
                return new[] { F(0).clamp(lo, hi) };
            }
            case "Softmax":
            {
                var t = F(0);
                long axis = OnnxAttributes.Int(n, "axis", r.Opset >= 13 ? -1 : 1);
                if (axis < 0) axis += t.dim();
                if (r.Opset >= 13) return new[] { t.softmax(axis) };
                var shape = t.shape;
                return new[] { t.reshape(shape.Take((int)axis).Append(-1).ToArray()).softmax(-1).reshape(shape) };
            }
            case "Range":
            {
                var (a, b) = Promote(X(0), X(1));
                var d = X(2).to_type(a.dtype);
                double count = Math.Ceiling((b.item<double>() - a.item<double>()) / d.item<double>());
                if (!(count <= ShapeLimits.MaxConstantElements)) throw r.Fail($"makes a range of {count:G} elements (at most {ShapeLimits.MaxConstantElements:N0})");
                return new[] { torch.arange(a.item<double>(), b.item<double>(), d.item<double>(), ScalarType.Float64).to_type(a.dtype) };
            }
            case "Reshape": return new[] { X(0).reshape(r.ReshapeShape(X(0).shape, values)) };
            case "Flatten": return new[] { X(0).reshape(r.FlattenShape(X(0).shape)) };
            case "Squeeze": return new[] { X(0).reshape(r.SqueezeShape(X(0).shape, values)) };
            case "Unsqueeze": return new[] { X(0).reshape(r.UnsqueezeShape(X(0).shape, values)) };
            case "Transpose": return new[] { X(0).permute(r.Perm((int)X(0).dim())).contiguous() };
            case "Expand":
            {
                var target = Limited(r, OnnxGraphReader.Broadcast(X(0).shape, OnnxTensors.Longs(X(1))) ?? throw r.Fail("has shapes that do not broadcast"));
                return new[] { X(0).expand(target).contiguous() };
            }
            case "Concat":
            {
                var parts = x.Where(t => t is not null).Select(t => t!).ToArray();
                var dtype = parts.Any(p => p.dtype == ScalarType.Float64) ? ScalarType.Float64 : parts[0].dtype;
                long axis = OnnxAttributes.Int(n, "axis", 0);
                if (axis < 0) axis += parts[0].dim();
                return new[] { torch.cat(parts.Select(p => p.to_type(dtype)).ToArray(), axis) };
            }
            case "Slice":
            {
                var t = X(0);
                foreach (var s in r.SliceSteps(t.shape, values)) t = t.slice(s.Axis, s.Start, s.End, s.Step);
                return new[] { t.contiguous() };
            }
            case "Split":
            {
                var t = X(0);
                long axis = OnnxAttributes.Int(n, "axis", 0);
                if (axis < 0) axis += t.dim();
                var sizes = r.SplitSizes(t.shape[axis], values);
                var outs = new Tensor[sizes.Length];
                long start = 0;
                for (int i = 0; i < sizes.Length; i++) { outs[i] = t.slice(axis, start, start + sizes[i], 1).contiguous(); start += sizes[i]; }
                return outs;
            }
            case "Gather":
            {
                var data = X(0); var idx = X(1);
                long axis = OnnxAttributes.Int(n, "axis", 0);
                if (axis < 0) axis += data.dim();
                var flat = OnnxTensors.Longs(idx).Select(i => i < 0 ? i + data.shape[axis] : i).ToArray();
                var picked = data.index_select(axis, torch.tensor(flat, ScalarType.Int64));
                var shape = data.shape.Take((int)axis).Concat(idx.shape).Concat(data.shape.Skip((int)axis + 1)).ToArray();
                return new[] { picked.reshape(shape).contiguous() };
            }
            case "MatMul": return new[] { MatMulCheck.MatMul(F(0), F(1), r.Fail) };
            case "Gemm":
            {
                var a = F(0); var b = F(1);
                if (a.dim() != 2 || b.dim() != 2) throw r.Fail($"multiplies tensors of rank {a.dim()} and {b.dim()}; Gemm takes matrices");
                if (OnnxAttributes.Int(n, "transA", 0) != 0) a = a.t();
                if (OnnxAttributes.Int(n, "transB", 0) != 0) b = b.t();
                var y = MatMulCheck.MatMul(a, b, r.Fail) * OnnxAttributes.Float(n, "alpha", 1);
                if (x.Length > 2 && x[2] is not null) y = y + F(2) * OnnxAttributes.Float(n, "beta", 1);
                return new[] { y };
            }
            case "ReduceSum": case "ReduceMean":
            {
                var t = F(0);
                bool axesAsInput = n.OpType == "ReduceSum" ? r.Opset >= 13 : r.Opset >= 18;
                var axes = axesAsInput ? (x.Length > 1 && x[1] is not null ? OnnxTensors.Longs(x[1]!) : null) : OnnxAttributes.Ints(n, "axes");
                bool keep = OnnxAttributes.Int(n, "keepdims", 1) != 0;
                if (axes is null || axes.Length == 0)
                {
                    if (OnnxAttributes.Int(n, "noop_with_empty_axes", 0) != 0) return new[] { t };
                    axes = Enumerable.Range(0, (int)t.dim()).Select(i => (long)i).ToArray();
                }
                axes = axes.Select(a => a < 0 ? a + t.dim() : a).ToArray();
                return new[] { n.OpType == "ReduceSum" ? t.sum(axes, keep) : t.mean(axes, keep) };
            }
            // ---- new operators (src/Certify.Core/Operators) ----
            case "Reciprocal": return new[] { F(0).reciprocal() };
            case "Log": return new[] { F(0).log() };
            case "Softplus": return new[] { Certify.Operators.SoftplusOp.Of(F(0)) };
            case "Atan": return new[] { F(0).atan() };
            case "Erf": return new[] { F(0).erf() };
            case "Gelu":
                if ((OnnxAttributes.String(n, "approximate") ?? "none") != "none") throw r.Fail("uses approximate='tanh'; Certify supports the exact (erf) GELU only");
                return new[] { Certify.Operators.GeluOp.Of(F(0)) };
            case "Tile":
            {
                var reps = OnnxTensors.Longs(X(1));
                if (reps.Length != X(0).dim() || reps.Any(v => v < 1)) throw r.Fail($"has repeats [{string.Join(",", reps)}] for a constant of rank {X(0).dim()}");
                long[] tiled;
                try { tiled = X(0).shape.Select((d, i) => checked(d * reps[i])).ToArray(); }
                catch (OverflowException) { throw r.Fail("has repeats whose product overflows a 64-bit integer"); }
                Limited(r, tiled);
                return new[] { X(0).tile(reps).contiguous() };
            }
            case "ReduceMax": case "ReduceMin":
            {
                var t = F(0);
                var axes = r.Opset >= 18 ? (x.Length > 1 && x[1] is not null ? OnnxTensors.Longs(x[1]!) : null) : OnnxAttributes.Ints(n, "axes");
                bool keep = OnnxAttributes.Int(n, "keepdims", 1) != 0;
                if (axes is null || axes.Length == 0)
                {
                    if (OnnxAttributes.Int(n, "noop_with_empty_axes", 0) != 0) return new[] { t };
                    axes = Enumerable.Range(0, (int)t.dim()).Select(i => (long)i).ToArray();
                }
                axes = axes.Select(a => a < 0 ? a + t.dim() : a).ToArray();
                return new[] { n.OpType == "ReduceMax" ? t.amax(axes, keep) : t.amin(axes, keep) };
            }
            default: throw r.Unsupported();
        }
    }

    static (Tensor, Tensor) Promote(Tensor a, Tensor b)
    {
        if (a.dtype == b.dtype) return (a, b);
        if (a.dtype == ScalarType.Float64 || b.dtype == ScalarType.Float64) return (a.to_type(ScalarType.Float64), b.to_type(ScalarType.Float64));
        return (a.to_type(ScalarType.Int64), b.to_type(ScalarType.Int64));
    }

    static Tensor ConstantAttribute(OnnxGraphReader r, NodeProto n)
    {
        var a = n.Attribute.FirstOrDefault() ?? throw r.Fail("has no value");
        return a.Name switch
        {
            "value" => OnnxTensors.ToTorch(a.T ?? throw r.Fail("has an empty value"), $"node '{n.Name}'"),
            "value_float" => torch.tensor((double)a.F, ScalarType.Float64),
            "value_floats" => torch.tensor(a.Floats.Select(f => (double)f).ToArray(), ScalarType.Float64),
            "value_int" => torch.tensor(a.I, ScalarType.Int64),
            "value_ints" => torch.tensor(a.Ints.ToArray(), ScalarType.Int64),
            _ => throw r.Fail($"has a '{a.Name}' value, which is not supported (dense tensors, floats and ints are)")
        };
    }
}

using Certify.Graph;
using Certify.Import.Onnx;
using Certify.Import.Onnx.Proto;
using Certify.Operators;
using Google.Protobuf;
using static TorchSharp.torch;

namespace Certify.Import;

/// <summary>
/// Writes a <see cref="ComputationGraph"/> as an ONNX model (opset 13, float32 weights). The input is named "input"
/// with a symbolic batch dimension "batch" before the per-sample shape; the output is named "output". Every Certify op
/// maps to one or two standard ONNX operators, so the file runs in ONNX Runtime and re-imports to the same graph.
/// </summary>
public static class OnnxExporter
{
    /// <summary>The opset version written.</summary>
    public const int Opset = 13;

    /// <summary>Writes <paramref name="graph"/> to <paramref name="path"/>.</summary>
    public static void Export(ComputationGraph graph, string path) => File.WriteAllBytes(path, ToBytes(graph));

    /// <summary>The serialised ONNX model of <paramref name="graph"/>.</summary>
    public static byte[] ToBytes(ComputationGraph graph) => new Writer(graph).Model().ToByteArray();

    sealed class Writer(ComputationGraph g)
    {
        readonly GraphProto _graph = new() { Name = "certify" };
        int _counter;

        public ModelProto Model()
        {
            _graph.Input.Add(ValueInfo("input", g.InputShape));
            var names = new string[g.Nodes.Count];
            names[0] = "input";
            for (int i = 1; i < g.Nodes.Count; i++)
            {
                var n = g.Nodes[i];
                names[i] = i == g.OutputId ? "output" : $"t{i}";
                Emit(n, n.Inputs.Select(k => names[k]).ToArray(), names[i]);
            }
            if (g.OutputId == 0) Node("Identity", "input_copy", new[] { "input" }, "output");
            _graph.Output.Add(ValueInfo("output", g.OutputShape));
            var model = new ModelProto { IrVersion = 7, ProducerName = "certify", ProducerVersion = "0", Graph = _graph };
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
            return model;
        }

        static ValueInfoProto ValueInfo(string name, long[] sample)
        {
            var shape = new TensorShapeProto();
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
            foreach (var d in sample) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
            return new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } }
            };
        }

        string Init(Tensor t) { var name = $"w{_counter++}"; _graph.Initializer.Add(OnnxTensors.FloatTensor(name, t)); return name; }
        string InitInts(long[] v, bool scalar = false) { var name = $"w{_counter++}"; _graph.Initializer.Add(OnnxTensors.Int64Tensor(name, v, scalar ? Array.Empty<long>() : null)); return name; }
        string InitScalar(double v) => Init(tensor(v, ScalarType.Float64));

        NodeProto Node(string op, string name, string[] inputs, string output, params AttributeProto[] attrs)
        {
            var n = new NodeProto { OpType = op, Name = name };
            n.Input.AddRange(inputs);
            n.Output.Add(output);
            n.Attribute.AddRange(attrs);
            _graph.Node.Add(n);
            return n;
        }

        static AttributeProto Int(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };
        static AttributeProto Float(string name, double v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)v };
        static AttributeProto Ints(string name, IEnumerable<long> v) { var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints }; a.Ints.AddRange(v); return a; }

        void Emit(Node n, string[] x, string y)
        {
            string name = n.Name;
            int rank = g.Nodes[n.Inputs[0]].Shape.Length;   // sample rank of the first input
            switch (n.Op)
            {
                case LinearOp l when rank == 1:
                    Node("Gemm", name, l.Bias is null ? new[] { x[0], Init(l.Weight) } : new[] { x[0], Init(l.Weight), Init(l.Bias) }, y, Int("transB", 1));
                    break;
                case LinearOp l:
                    if (l.Bias is null) Node("MatMul", name, new[] { x[0], Init(l.Weight.t()) }, y);
                    else { Node("MatMul", name, new[] { x[0], Init(l.Weight.t()) }, y + ":mm"); Node("Add", name + ":bias", new[] { y + ":mm", Init(l.Bias) }, y); }
                    break;
                case ConvOp c:
                    Node("Conv", name, c.Bias is null ? new[] { x[0], Init(c.Weight) } : new[] { x[0], Init(c.Weight), Init(c.Bias) }, y,
                        Ints("kernel_shape", c.Weight.shape[2..]), Ints("strides", c.Strides), Ints("pads", c.Pads), Ints("dilations", c.Dilations), Int("group", c.Groups));
                    break;
                case ConvTransposeOp c:
                    Node("ConvTranspose", name, c.Bias is null ? new[] { x[0], Init(c.Weight) } : new[] { x[0], Init(c.Weight), Init(c.Bias) }, y,
                        Ints("kernel_shape", c.Weight.shape[2..]), Ints("strides", c.Strides), Ints("pads", c.Pads.Concat(c.Pads)),
                        Ints("output_padding", c.OutputPadding), Ints("dilations", c.Dilations), Int("group", c.Groups));
                    break;
                case AffineOp a:
                    if (a.Scale is null && a.Shift is null) { Node("Identity", name, x, y); break; }
                    var mid = a.Shift is null ? y : y + ":scaled";
                    if (a.Scale is not null) Node("Mul", name, new[] { x[0], Init(a.Scale) }, mid);
                    if (a.Shift is not null) Node("Add", name + ":shift", new[] { a.Scale is null ? x[0] : mid, Init(a.Shift) }, y);
                    break;
                case ReshapeOp r: Node("Reshape", name, new[] { x[0], InitInts(new long[] { 0 }.Concat(r.Shape).ToArray()) }, y); break;
                case AddOp: Node("Add", name, x, y); break;
                case MulOp: Node("Mul", name, x, y); break;
                case ReluOp: Node("Relu", name, x, y); break;
                case SigmoidOp: Node("Sigmoid", name, x, y); break;
                case TanhOp: Node("Tanh", name, x, y); break;
                case SignOp: Node("Sign", name, x, y); break;
                case SinOp: Node("Sin", name, x, y); break;
                case CosOp: Node("Cos", name, x, y); break;
                case LeakyReluOp lr: Node("LeakyRelu", name, x, y, Float("alpha", lr.Alpha)); break;
                case PowOp p: Node("Pow", name, new[] { x[0], InitScalar(p.Exponent) }, y); break;
                case SoftmaxOp s: Node("Softmax", name, x, y, Int("axis", s.Axis + 1)); break;
                case TransposeOp t: Node("Transpose", name, x, y, Ints("perm", new long[] { 0 }.Concat(t.Perm.Select(p => p + 1)))); break;
                case ConcatOp c: Node("Concat", name, x, y, Int("axis", c.Axis + 1)); break;
                case SliceOp s:
                    Node("Slice", name, new[] { x[0], InitInts(new[] { s.Start }), InitInts(new[] { s.End }), InitInts(new long[] { s.Axis + 1 }), InitInts(new[] { s.Step }) }, y);
                    break;
                case GatherOp ga:
                    Node("Gather", name, new[] { x[0], ga.ScalarIndex ? InitInts(new[] { ga.Indices[0] }, scalar: true) : InitInts(ga.Indices) }, y, Int("axis", ga.Axis + 1));
                    break;
                case PadOp p:
                {
                    int r = p.Pads.Length / 2;
                    var pads = new long[] { 0 }.Concat(p.Pads.Take(r)).Append(0).Concat(p.Pads.Skip(r)).ToArray();
                    Node("Pad", name, new[] { x[0], InitInts(pads), InitScalar(p.Value) }, y, new AttributeProto { Name = "mode", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8("constant") });
                    break;
                }
                case ReduceOp rd when rd.Reduction == ReduceKind.Sum:
                    Node("ReduceSum", name, new[] { x[0], InitInts(rd.Axes.Select(a => a + 1).ToArray()) }, y, Int("keepdims", rd.KeepDims ? 1 : 0));
                    break;
                case ReduceOp rd:
                    Node("ReduceMean", name, x, y, Ints("axes", rd.Axes.Select(a => a + 1)), Int("keepdims", rd.KeepDims ? 1 : 0));
                    break;
                case ClipOp c:
                    Node("Clip", name, new[] { x[0], double.IsNegativeInfinity(c.Min) ? "" : InitScalar(c.Min), double.IsPositiveInfinity(c.Max) ? "" : InitScalar(c.Max) }, y);
                    break;
                case MaxPoolOp m:
                    Node("MaxPool", name, x, y, Ints("kernel_shape", m.Kernel), Ints("strides", m.Strides), Ints("pads", m.Pads.Concat(m.Pads)),
                        Ints("dilations", m.Dilations), Int("ceil_mode", m.CeilMode ? 1 : 0));
                    break;
                case AvgPoolOp a:
                    Node("AveragePool", name, x, y, Ints("kernel_shape", a.Kernel), Ints("strides", a.Strides), Ints("pads", a.Pads.Concat(a.Pads)),
                        Int("count_include_pad", a.CountIncludePad ? 1 : 0), Int("ceil_mode", a.CeilMode ? 1 : 0));
                    break;
                default:
                    throw new NotSupportedException($"node '{n.Name}': {n.Op.Kind} cannot be exported to ONNX");
            }
        }
    }
}

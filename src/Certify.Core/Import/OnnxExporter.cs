using Certify.Graph;
using Certify.Import.Onnx;
using Certify.Import.Onnx.Proto;
using Certify.Operators;
using Google.Protobuf;
using static TorchSharp.torch;

namespace Certify.Import;

/// <summary>
/// Writes a <see cref="ComputationGraph"/> as an ONNX model (opset 13, float32 weights). The input is named "input"
/// with a symbolic batch dimension "batch" before the per-sample shape; the output is named "output". Every op is written
/// by its definition's export writer (<see cref="OperatorDefinition.OnnxExport"/>, in its family folder) as one or two
/// standard ONNX operators, so the file runs in ONNX Runtime and re-imports to the same graph.
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
        // ONNX requires unique node names and a graph does not (the importer names several nodes after one ONNX
        // output, e.g. the reshapes around a MatMul of two variables): a repeated name gets a number appended.
        readonly HashSet<string> _nodeNames = new();

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

        long[] ShapeOf(int id) => g.Nodes[id].Shape;

        string Init(Tensor t) { var name = $"w{_counter++}"; _graph.Initializer.Add(OnnxTensors.FloatTensor(name, t)); return name; }
        string InitInts(long[] v, bool scalar = false) { var name = $"w{_counter++}"; _graph.Initializer.Add(OnnxTensors.Int64Tensor(name, v, scalar ? Array.Empty<long>() : null)); return name; }
        string InitScalar(double v) => Init(tensor(v, ScalarType.Float64));

        NodeProto Node(string op, string name, string[] inputs, string output, params AttributeProto[] attrs)
        {
            if (!_nodeNames.Add(name)) { int k = 2; while (!_nodeNames.Add($"{name}#{k}")) k++; name = $"{name}#{k}"; }
            var n = new NodeProto { OpType = op, Name = name };
            n.Input.AddRange(inputs);
            n.Output.Add(output);
            n.Attribute.AddRange(attrs);
            _graph.Node.Add(n);
            return n;
        }

        /// <summary>
        /// Writes node <paramref name="n"/> with its definition's export writer. The writer sees the node through a
        /// <see cref="NodeContext"/> over this model, so built-in and registered operators are written the same way.
        /// </summary>
        void Emit(Node n, string[] x, string y)
        {
            var write = OperatorRegistry.For(n.Op)?.OnnxExport
                ?? throw new NotSupportedException($"node '{n.Name}': {n.Op.Kind} cannot be exported to ONNX");
            write(n.Op, new NodeContext(this, n, x, y));
        }

        /// <summary>The <see cref="IOnnxExportContext"/> of one node: its names, and the writer's initializers and nodes.</summary>
        sealed class NodeContext(Writer w, Node node, string[] inputs, string output) : IOnnxExportContext
        {
            public Node Node => node;
            public IReadOnlyList<string> Inputs => inputs;
            public string Output => output;
            public long[] InputShape(int k) => w.ShapeOf(node.Inputs[k]);
            public string Initializer(Tensor t) => w.Init(t);
            public string IntsInitializer(long[] values, bool scalar = false) => w.InitInts(values, scalar);
            public string ScalarInitializer(double value) => w.InitScalar(value);
            public NodeProto AddNode(string opType, string name, IReadOnlyList<string> nodeInputs, string nodeOutput, params AttributeProto[] attributes) =>
                w.Node(opType, name, nodeInputs.ToArray(), nodeOutput, attributes);
            public NodeProto AddNode(string opType, params AttributeProto[] attributes) => w.Node(opType, node.Name, inputs, output, attributes);
        }
    }
}

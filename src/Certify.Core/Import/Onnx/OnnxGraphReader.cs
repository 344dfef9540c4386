using Certify.Graph;
using Certify.Import.Onnx.Proto;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

/// <summary>
/// Translates one ONNX graph into a <see cref="ComputationGraph"/>: constants are folded, supported operators become
/// Certify ops (see <see cref="OnnxImporter.SupportedOperators"/>) and ONNX tensors are mapped to per-sample node
/// outputs with a leading batch dimension (see <see cref="VarValue"/>). Each ONNX operator is translated by the
/// <see cref="OperatorDefinition"/> that imports it (<see cref="OperatorRegistry.OnnxTranslator"/>); the built-in
/// translations are the other parts of this partial class, each in its operator family's folder
/// (<c>Operators/&lt;Family&gt;/&lt;Family&gt;Import.cs</c>), while this part and the others under <c>Import/Onnx</c> hold
/// the generic plumbing: values, variable shapes and batch layouts, broadcasting, constant folding and errors.
/// </summary>
internal sealed partial class OnnxGraphReader
{
    readonly string _file;
    readonly ModelProto _model;
    readonly Dictionary<string, OnnxValue> _values = new();
    GraphBuilder _builder = null!;
    NodeProto _node = null!;

    /// <summary>Default-domain opset version the model was written for.</summary>
    public long Opset { get; }

    OnnxGraphReader(string file, ModelProto model)
    {
        _file = file;
        _model = model;
        var def = model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx");
        Opset = def?.Version ?? 13;
    }

    /// <summary>Parses and translates a model given as bytes; <paramref name="file"/> names it in messages.</summary>
    public static ComputationGraph Read(byte[] bytes, string file)
    {
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(bytes); }
        catch (Exception e) { throw new ImportException($"{file}: not a valid ONNX model (the protobuf could not be parsed: {e.Message})", e); }
        if (model.Graph is null || (model.Graph.Node.Count == 0 && model.Graph.Input.Count == 0))
            throw new ImportException($"{file}: not a valid ONNX model (it has no graph)");
        return new OnnxGraphReader(file, model).Translate();
    }

    ComputationGraph Translate()
    {
        var g = _model.Graph;
        CheckNames(g);
        foreach (var init in g.Initializer)
        {
            var t = OnnxTensors.ToTorch(init, $"{_file}: initializer '{init.Name}'");
            var bad = FiniteParameters.FirstNonFinite(t) is { } b ? new NonFiniteSource(init.Name, null, null, b.Index, b.Value) : null;
            _values[init.Name] = new ConstValue(t, bad);
        }
        DeclareInput(g);
        foreach (var node in TopologicalOrder(g))
        {
            _node = node;
            try { TranslateNode(node); }
            catch (ImportException) { throw; }
            catch (GraphException e) { throw new ImportException($"{_file}: {e.Message}", e); }
            catch (Exception e) { throw Fail($"could not be translated ({e.GetType().Name}: {FirstLine(e.Message)})"); }
        }
        if (g.Output.Count == 0) throw new ImportException($"{_file}: the graph declares no output");
        var outName = g.Output[0].Name;
        if (!_values.TryGetValue(outName, out var outValue))
            throw new ImportException($"{_file}: the graph output '{outName}' is never produced by any node");
        if (outValue is ConstValue { NonFinite: { } badOut })
            throw new ImportException($"{_file}: the graph output '{outName}' is a constant: {Describe(badOut)}; Certify accepts finite parameters only");
        try
        {
            var output = outValue as VarValue ?? ConstantOutput(outName, (ConstValue)outValue);   // inside: its nodes can be refused too
            // A second pass removes what the first one made trivial (e.g. two Transposes merged into the identity).
            return GraphSimplifier.Simplify(GraphSimplifier.Simplify(_builder.Build(output.Id)));
        }
        catch (GraphException e) { throw new ImportException($"{_file}: {e.Message}", e); }
    }

    /// <summary>
    /// Declares the real inputs (graph inputs that are not initializers) and decides each one's batch dimension. One
    /// input becomes the graph input as it is. Several inputs follow the VNN-COMP convention: the graph input is one
    /// flat vector holding every input flattened row-major and concatenated in declaration order (the VNNLIB
    /// <c>X_i</c>), and each ONNX input is a Slice of its range reshaped to its own per-sample shape, so that everything
    /// downstream still sees a graph with one input.
    /// </summary>
    void DeclareInput(GraphProto g)
    {
        var inputs = g.Input.Where(i => !_values.ContainsKey(i.Name)).ToList();
        if (inputs.Count == 0)
            throw new ImportException($"{_file}: the model has no input (every graph input is an initializer); Certify supports models with at least one float or double input");
        var declared = inputs.Select(DeclaredShape).ToList();
        try { DeclareInputs(inputs, declared); }
        catch (GraphException e) { throw new ImportException($"{_file}: {e.Message}", e); }
    }

    void DeclareInputs(List<ValueInfoProto> inputs, List<VarValue> declared)
    {
        if (inputs.Count == 1)
        {
            var v = declared[0];
            _builder = new GraphBuilder(v.Sample, inputs[0].Name, _file);
            _values[inputs[0].Name] = v;
            return;
        }
        var sizes = declared.Select(v => v.Sample.Aggregate(1L, (a, b) => a * b)).ToArray();
        long total = sizes.Sum();
        _builder = new GraphBuilder(new[] { total }, string.Join("+", inputs.Select(i => i.Name)), _file);
        long offset = 0;
        for (int k = 0; k < inputs.Count; k++)
        {
            var name = inputs[k].Name;
            var origin = $"input '{name}' (elements {offset}..{offset + sizes[k] - 1} of the concatenated inputs)";
            int id = _builder.Add(new SliceOp(0, offset, offset + sizes[k], 1), $"{name}:flat", origin, _builder.InputId);
            if (!(declared[k].Sample is [var n] && n == sizes[k]))
                id = _builder.Add(new ReshapeOp(declared[k].Sample), name, origin, id);
            _values[name] = declared[k] with { Id = id };
            offset += sizes[k];
        }
    }

    /// <summary>
    /// The shape of graph input <paramref name="input"/> with a symbolic batch resolved to 1, as a value of node 0 (the
    /// caller rebinds the node when there are several inputs); rejects non-float inputs and other symbolic dimensions.
    /// </summary>
    VarValue DeclaredShape(ValueInfoProto input)
    {
        var tt = input.Type?.TensorType;
        if (tt is null) throw new ImportException($"{_file}: input '{input.Name}' is not a tensor; Certify supports float and double tensor inputs");
        if (!OnnxTensors.IsFloat(tt.ElemType))
            throw new ImportException($"{_file}: input '{input.Name}' has element type {OnnxTensors.TypeName(tt.ElemType)}; Certify supports float and double inputs");
        if (tt.Shape is null) throw new ImportException($"{_file}: input '{input.Name}' has no declared shape");
        var dims = tt.Shape.Dim.ToArray();
        var shape = new long[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            bool symbolic = dims[i].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || dims[i].DimValue <= 0;
            if (symbolic && i > 0)
                throw new ImportException($"{_file}: input '{input.Name}' has a symbolic dimension {i} ('{dims[i].DimParam}'); only the first (batch) dimension may be symbolic");
            shape[i] = symbolic ? 1 : dims[i].DimValue;
        }
        // Before anything is allocated for it: a declared 2^31-element input made the importer allocate 16 GiB, and
        // dimensions whose product wraps around 64 bits gave an input size of -4.
        if (Certify.Graph.ShapeLimits.Problem(shape, Certify.Graph.ShapeLimits.MaxNodeElements) is { } tooBig)
            throw new ImportException($"{_file}: input '{input.Name}': {tooBig}");
        // A leading 1 (or symbolic) dimension of a tensor of rank >= 2 is the batch; otherwise a virtual batch is added.
        bool batched = shape.Length >= 2 && shape[0] == 1;
        return new VarValue(0, shape, batched);
    }

    /// <summary>
    /// A graph output that does not depend on the input (a constant-folded network): written as <c>0·x₀ + c</c>, a Linear
    /// node with zero weights over the first input element, so that the graph keeps one input and one output and every
    /// bound is exactly the constant. (A zero matrix over the whole flattened input cost |c|·|x| numbers: a 12 KB model
    /// whose output was a 2,500-element initializer over a 128,591-element input made the importer allocate 2.5 GB; found
    /// by fuzzing.) A leading 1 of a constant of rank ≥ 2 is taken as the batch, as for inputs.
    /// </summary>
    VarValue ConstantOutput(string name, ConstValue value)
    {
        var input = _builder.Nodes[_builder.InputId].Shape;
        long n = input.Aggregate(1L, (a, b) => a * b);
        var c = value.Value.to_type(ScalarType.Float64).flatten();
        bool batched = value.Shape.Length >= 2 && value.Shape[0] == 1;
        var sample = batched ? value.Shape[1..] : value.Shape;
        const string origin = "constant graph output";
        int id = _builder.Add(new ReshapeOp(new[] { n }), $"{name}:input", origin, _builder.InputId);
        if (n > 1) id = _builder.Add(new SliceOp(0, 0, 1, 1), $"{name}:first", origin, id);
        id = _builder.Add(new LinearOp(zeros(c.shape[0], 1, dtype: ScalarType.Float64), c), $"{name}:constant", origin, id);
        if (sample.Length != 1 || sample[0] != c.shape[0]) id = _builder.Add(new ReshapeOp(sample), name, origin, id);
        return new VarValue(id, value.Shape, batched);
    }

    /// <summary>
    /// Refuses a graph in which one name is defined twice (two initializers, two node outputs, an output shadowing an
    /// initializer or an input) or a node output has no name. ONNX requires single definitions; a runtime that accepts
    /// duplicates picks one of them, and if Certify picked another, the network it proves things about would not be the
    /// network that runs. (ONNX Runtime 1.31 ran a model with two initializers named alike: one per copy.)
    /// </summary>
    void CheckNames(GraphProto g)
    {
        var defined = new Dictionary<string, string>();
        void Define(string name, string what)
        {
            if (defined.TryGetValue(name, out var first))
                throw new ImportException($"{_file}: the name '{name}' is defined twice ({first} and {what}); ONNX requires each value to be defined once");
            defined[name] = what;
        }
        foreach (var init in g.Initializer) Define(init.Name, $"initializer '{init.Name}'");
        foreach (var input in g.Input)
            if (!defined.ContainsKey(input.Name)) Define(input.Name, $"input '{input.Name}'");   // an input may repeat an initializer: that is its default
        foreach (var n in g.Node)
            foreach (var o in n.Output)
            {
                if (o.Length == 0 && n.Output.Count == 1)
                    throw new ImportException($"{_file}: node '{n.Name}' (op {n.OpType}) has an output without a name");
                if (o.Length > 0) Define(o, $"the output of node '{n.Name}' (op {n.OpType})");
            }
    }

    /// <summary>
    /// The nodes in an order where every input is produced first (files are not always sorted): passes over the nodes
    /// still pending, each taking in file order every node whose inputs are available by then, so a sorted file keeps
    /// its order exactly and node ids (and the names and messages that follow from them) do not depend on a library's
    /// traversal. When a pass takes nothing, the first pending node is reported with the input it lacks and, for a
    /// cycle, the node producing it. (Hand-written rather than a graph library's sort, which orders differently and
    /// names no node of a cycle; see <see cref="ComputationGraph"/>.)
    /// </summary>
    List<NodeProto> TopologicalOrder(GraphProto g)
    {
        var available = new HashSet<string>(_values.Keys) { "" };
        var pending = g.Node.ToList();
        var order = new List<NodeProto>(pending.Count);
        while (pending.Count > 0)
        {
            int before = order.Count;
            var rest = new List<NodeProto>();
            foreach (var n in pending)
            {
                if (n.Input.All(available.Contains)) { order.Add(n); foreach (var o in n.Output) available.Add(o); }
                else rest.Add(n);
            }
            if (order.Count == before)
            {
                var n = rest[0];
                var missing = n.Input.First(i => !available.Contains(i));
                if (rest.FirstOrDefault(r => r.Output.Contains(missing)) is { } producer)
                    throw new ImportException($"{_file}: node '{n.Name}' (op {n.OpType}) reads '{missing}', the output of node '{producer.Name}' (op {producer.OpType}), which depends on it in turn: the graph has a cycle");
                throw new ImportException($"{_file}: node '{n.Name}' (op {n.OpType}) reads '{missing}', which is neither an input, an initializer nor produced by a node (missing initializer?)");
            }
            pending = rest;
        }
        return order;
    }

    void TranslateNode(NodeProto n)
    {
        if (n.Domain is not ("" or "ai.onnx"))
            throw Unsupported($"operators of domain '{n.Domain}' are not supported");
        var inputs = n.Input.Select(i => i == "" ? null : _values[i]).ToArray();
        if (n.OpType is "Identity" or "Dropout")
        {
            if (inputs.Length == 0 || inputs[0] is null) throw Fail("has no input");
            if (n.OpType == "Dropout")
            {
                bool training = OnnxAttributes.Int(n, "is_test", 1) == 0 && Opset < 7;
                if (inputs.Length > 2 && inputs[2] is not null)
                {
                    var mode = Const(inputs, 2, "training_mode")!;
                    training = mode.numel() > 0 && OnnxTensors.Doubles(mode)[0] != 0;
                }
                if (training) throw Fail("is in training mode (random); Certify supports inference-mode Dropout only");
                // In inference mode the optional mask output is all true.
                var shape = inputs[0] is VarValue v ? v.Shape : ((ConstValue)inputs[0]!).Shape;
                Set(1, new ConstValue(ones(shape, ScalarType.Bool)));
            }
            Set(0, inputs[0]!);
            return;
        }
        if (inputs.All(v => v is null or ConstValue) && ConstantFolder.CanFold(n.OpType))
        {
            var outs = ConstantFolder.Evaluate(this, n, inputs.Select(v => (v as ConstValue)?.Value).ToArray());
            for (int i = 0; i < outs.Length && i < n.Output.Count; i++) Set(i, new ConstValue(outs[i], FoldedNonFinite(n, inputs, outs[i])));
            return;
        }
        var translate = GenericTranslators.GetValueOrDefault(n.OpType) ?? OperatorRegistry.OnnxTranslator(n.OpType) ?? throw Unsupported();
        translate(new OnnxNodeContext(this, n, inputs));
    }

    /// <summary>A translator written against the reader itself (built-in operators): it receives the raw input values.</summary>
    internal delegate void BuiltinTranslator(OnnxGraphReader r, OnnxValue?[] inputs);

    /// <summary>Wraps a built-in translator as the public <see cref="OnnxTranslator"/> that definitions hold.</summary>
    internal static OnnxTranslator Builtin(BuiltinTranslator translate) =>
        node => { var c = (OnnxNodeContext)node; translate(c.Reader, c.Inputs); };

    /// <summary>
    /// The ONNX operators the reader handles itself because they make no op of their own: Identity and Dropout pass
    /// their input through, Constant and ConstantOfShape are always folded, Shape yields a constant and Cast of a
    /// variable to a float type is the identity. Every other operator is imported by an <see cref="OperatorDefinition"/>
    /// (see <see cref="OperatorRegistry"/>), and none may take over these names.
    /// </summary>
    internal static readonly IReadOnlyList<string> GenericOperators = new[] { "Identity", "Dropout", "Constant", "ConstantOfShape", "Shape", "Cast" };

    /// <summary>The registry's ONNX operators and then <see cref="GenericOperators"/> (read afresh: operators may be registered at any time).</summary>
    internal static IReadOnlyList<string> SupportedOperators => OperatorRegistry.OnnxOperators.Concat(GenericOperators).ToArray();

    static readonly Dictionary<string, OnnxTranslator> GenericTranslators = new()
    {
        ["Shape"] = Builtin((r, x) => r.Set(0, new ConstValue(ConstantFolder.ShapeOf(r._node, r.Var(x, 0).Shape)))),
        ["Cast"] = Builtin((r, x) => r.Cast(x)),
    };

    void Cast(OnnxValue?[] inputs)
    {
        var x = Var(inputs, 0);
        long to = OnnxAttributes.Int(_node, "to", 1);
        if (!OnnxTensors.IsFloat((int)to))
            throw Fail($"casts the data path to {OnnxTensors.TypeName((int)to)}; Certify supports casts of variables to float types only");
        Set(0, x);
    }

    // ---- values -------------------------------------------------------------------------------------------------

    /// <summary>Binds output <paramref name="index"/> of the current node.</summary>
    internal void Set(int index, OnnxValue v)
    {
        if (index < _node.Output.Count && _node.Output[index] != "") _values[_node.Output[index]] = v;
    }

    /// <summary>Input <paramref name="i"/> as a variable; a constant there is an error naming the operand.</summary>
    internal VarValue Var(OnnxValue?[] inputs, int i)
    {
        if (i >= inputs.Length || inputs[i] is null) throw Fail($"input {i} is missing");
        return inputs[i] as VarValue ?? throw Fail($"input {i} ('{_node.Input[i]}') is a constant where Certify expects the data path");
    }

    /// <summary>Input <paramref name="i"/> as a constant tensor, or null when absent (optional input); a variable is an error.</summary>
    internal Tensor? Const(OnnxValue?[] inputs, int i, string what)
    {
        if (i >= inputs.Length || inputs[i] is null) return null;
        return (inputs[i] as ConstValue)?.Value ?? throw Fail($"{what} (input {i}, '{_node.Input[i]}') must be a constant, but it depends on the network input");
    }

    string OutName(int index = 0) => index < _node.Output.Count && _node.Output[index] != "" ? _node.Output[index] : $"{_node.Name}:{index}";
    string Origin => $"{_node.OpType} '{_node.Name}'";

    /// <summary>Adds a graph node for the current ONNX node and returns its id.</summary>
    internal int Add(Op op, params int[] inputs) => Add(op, OutName(), inputs);

    int Add(Op op, string name, params int[] inputs)
    {
        if (FiniteParameters.Find(op) is { } bad) throw NonFiniteParameter(op, bad);
        int id = _builder.Add(op, name, Origin, inputs);
        return id;
    }

    // ---- non-finite constants -----------------------------------------------------------------------------------
    // Certify accepts finite parameters only (see FiniteParameters): a NaN or ±∞ that would become part of the network
    // (a weight, bias, scale, shift, Pad value, ...) is refused here, naming the initializer or folded node it came from.
    // A non-finite constant that never becomes a parameter (e.g. a Clip limit of +∞, ONNX's own "no limit") is fine.

    /// <summary>Where a folded output's NaN/±∞ comes from: a non-finite constant input (values flow through folding), or this node.</summary>
    static NonFiniteSource? FoldedNonFinite(NodeProto n, OnnxValue?[] inputs, Tensor output)
    {
        if (FiniteParameters.FirstNonFinite(output) is not { } bad) return null;
        foreach (var v in inputs)
            if (v is ConstValue { NonFinite: { } src } && SameKind(src.Value, bad.Value)) return src;
        return new NonFiniteSource(null, n.Name, n.OpType, bad.Index, bad.Value);
    }

    static bool SameKind(double a, double b) => double.IsNaN(a) ? double.IsNaN(b) : a.Equals(b);

    static string Describe(NonFiniteSource s) => s.Initializer is not null
        ? $"initializer '{s.Initializer}' holds {FiniteParameters.Text(s.Value)} at index {s.Index}"
        : $"node '{s.Node}' ({s.OpType}) computes a constant holding {FiniteParameters.Text(s.Value)} at index {s.Index}";

    /// <summary>
    /// The error for an op of the current node that holds a non-finite parameter: it names the constant operand the
    /// value came from (preferring one holding the same value), or else the node itself (finite constants whose
    /// combination overflowed, e.g. a Div by a zero constant).
    /// </summary>
    ImportException NonFiniteParameter(Op op, FiniteParameters.NonFinite bad)
    {
        var sources = _node.Input.Where(i => i != "" && _values.TryGetValue(i, out var v) && v is ConstValue { NonFinite: not null })
            .Select(i => ((ConstValue)_values[i]).NonFinite!).ToList();
        var src = sources.FirstOrDefault(s => SameKind(s.Value, bad.Value)) ?? sources.FirstOrDefault();
        const string only = "Certify accepts finite parameters only";
        if (src?.Initializer is { } init)
            return new ImportException($"{_file}: initializer '{init}' (node '{_node.Name}', {_node.OpType}) holds {FiniteParameters.Text(src.Value)} at index {src.Index}; {only}");
        if (src is not null)
            return new ImportException($"{_file}: {Describe(src)}, used by node '{_node.Name}' ({_node.OpType}); {only}");
        return new ImportException($"{_file}: node '{_node.Name}' (op {_node.OpType}) computes a {op.Kind} {bad.Parameter} holding {FiniteParameters.Text(bad.Value)} at index {bad.Index} from finite constants; {only}");
    }

    /// <summary>Per-sample shape of graph node <paramref name="id"/>.</summary>
    internal long[] ShapeOf(int id) => _builder.Nodes[id].Shape;

    /// <summary>
    /// The same numbers as <paramref name="v"/> viewed with ONNX shape <paramref name="shape"/> and layout
    /// <paramref name="batched"/>; adds a Reshape node only when the per-sample shape changes.
    /// </summary>
    VarValue Reinterpret(VarValue v, long[] shape, bool batched, string? name = null)
    {
        var target = new VarValue(v.Id, shape, batched);
        if (target.Sample.SequenceEqual(v.Sample)) return target;
        if (target.Sample.Aggregate(1L, (a, b) => a * b) != v.Sample.Aggregate(1L, (a, b) => a * b))
            throw Fail($"cannot reshape {Op.ShapeText(v.Shape)} to {Op.ShapeText(shape)} (different number of elements)");
        int id = Add(new ReshapeOp(target.Sample), name ?? OutName(), v.Id);
        return target with { Id = id };
    }

    /// <summary>A reshape to ONNX shape <paramref name="shape"/>; a leading 1 is taken as the batch where it can be.</summary>
    VarValue ReshapeTo(VarValue v, long[] shape)
    {
        bool batched = shape.Length >= 1 && shape[0] == 1 && (v.Batched || shape.Length >= 2);
        return Reinterpret(v, shape, batched);
    }

    /// <summary>
    /// <paramref name="v"/> with its batch dimension turned into an ordinary sample axis of size 1, for operators that
    /// act on ONNX axis 0. Exact because the batch of an imported model is 1.
    /// </summary>
    VarValue Unbatch(VarValue v) => v.Batched ? Reinterpret(v, v.Shape, false, OutName() + ":unbatched") : v;

    /// <summary>Normalises ONNX axis <paramref name="axis"/> (negative counts from the end) for a tensor of rank <paramref name="rank"/>.</summary>
    long NormAxis(long axis, int rank)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw Fail($"axis {axis} is out of range for a tensor of rank {rank}");
        return a;
    }

    /// <summary>
    /// Maps normalised ONNX axes of <paramref name="v"/> to sample axes; when one of them is the batch, <paramref name="v"/>
    /// is first unbatched.
    /// </summary>
    long[] SampleAxes(ref VarValue v, IEnumerable<long> onnxAxes)
    {
        var axes = onnxAxes.ToArray();
        if (v.Batched && axes.Contains(0)) v = Unbatch(v);
        int off = v.Batched ? 1 : 0;
        return axes.Select(a => a - off).ToArray();
    }

    internal void Unary(OnnxValue?[] inputs, Op op)
    {
        var x = Var(inputs, 0);
        Set(0, x with { Id = Add(op, x.Id) });
    }

    // ---- errors -------------------------------------------------------------------------------------------------

    /// <summary>An error about the current node.</summary>
    internal ImportException Fail(string what) => new($"{_file}: {NodeName(_node)} (op {_node.OpType}): {what}");

    /// <summary>"node 'name'", or for a node without a name its position in the file ("node #3"), so that it can be found.</summary>
    string NodeName(NodeProto n) => n.Name.Length > 0 ? $"node '{n.Name}'" : $"node #{_model.Graph.Node.IndexOf(n) + 1}";

    /// <summary>The current node's operator (or form of it) is not supported.</summary>
    internal ImportException Unsupported(string? detail = null) =>
        new($"{_file}: node '{_node.Name}' (op {_node.OpType}) is not supported{(detail is null ? "" : $" ({detail})")}; supported: {string.Join(", ", OnnxImporter.SupportedOperators)}");

    static string FirstLine(string s) { var i = s.IndexOf('\n'); return i < 0 ? s : s[..i]; }
}

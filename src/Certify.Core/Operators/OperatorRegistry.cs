using Certify.Graph;
using Certify.Import.Onnx;

namespace Certify.Operators;

/// <summary>
/// The one list of operators Certify supports: an <see cref="OperatorDefinition"/> per <see cref="Op"/> type. The
/// bound engine finds rules here (through <see cref="Bounds.Rules.BoundRuleRegistry"/>), the ONNX importer its
/// translators and <see cref="Import.OnnxImporter.SupportedOperators"/>, the exporter its writers and the exact
/// encoder its encodings, so an operator is added in one place: its family folder's registration file for a
/// built-in one, <see cref="Register(OperatorDefinition)"/> at run time for one of a user's own.
/// <para>
/// Registration is process-wide and additive: a new op type and new ONNX operator names are added, an existing one is
/// never replaced (that would change the meaning of models already imported and of code running in parallel, e.g.
/// test classes), so registering a type or ONNX name twice is an error. Readers see an immutable snapshot that is
/// swapped atomically, so lookups take no lock and a registration never shows half done.
/// </para>
/// </summary>
public static class OperatorRegistry
{
    static readonly object Gate = new();
    static volatile Catalog _catalog = Catalog.Of(BuiltIn(), BuiltInComposites());

    /// <summary>The built-in families, in the order their operators are listed in messages.</summary>
    static IEnumerable<OperatorDefinition> BuiltIn() =>
        InputFamily.Definitions
            .Concat(LinearFamily.Definitions)
            .Concat(ConvolutionFamily.Definitions)
            .Concat(ArithmeticFamily.Definitions)
            .Concat(ShapeFamily.Definitions)
            .Concat(PoolingFamily.Definitions)
            .Concat(ReluFamily.Definitions)
            .Concat(SShapedFamily.Definitions)
            .Concat(PeriodicFamily.Definitions)
            .Concat(SoftmaxFamily.Definitions)
            .Concat(ExponentialFamily.Definitions)
            .Concat(SmoothFamily.Definitions)
            .Concat(PiecewiseFamily.Definitions)
;

    /// <summary>
    /// ONNX operators that import as a composition of other operators and have no op of their own (Resize becomes
    /// Gather or Linear, LayerNormalization a chain of affine and elementwise ops): each family that owns one lists it,
    /// and its name is taken like a definition's.
    /// </summary>
    static IEnumerable<OnnxImport> BuiltInComposites() => ResamplingFamily.Composites.Concat(NormalisationFamily.Composites);

    /// <summary>Every definition, built-in ones first, then registered ones in registration order.</summary>
    public static IReadOnlyList<OperatorDefinition> Definitions => _catalog.Definitions;

    /// <summary>The definition of op type <paramref name="opType"/> (exact type), or null.</summary>
    public static OperatorDefinition? For(Type opType) => _catalog.ByType.GetValueOrDefault(opType);

    /// <summary>The definition of <paramref name="op"/>'s type, or null.</summary>
    public static OperatorDefinition? For(Op op) => For(op.GetType());

    /// <summary>The translator of ONNX operator type <paramref name="onnxOpType"/> (default domain), or null.</summary>
    public static OnnxTranslator? OnnxTranslator(string onnxOpType) => _catalog.ByOnnx.GetValueOrDefault(onnxOpType)?.Translate;

    /// <summary>The ONNX operator types the definitions import, in definition order.</summary>
    public static IReadOnlyList<string> OnnxOperators => _catalog.OnnxNames;

    /// <summary>Adds one operator. See <see cref="Register(IEnumerable{OperatorDefinition})"/>.</summary>
    public static void Register(OperatorDefinition definition) => Register(new[] { definition });

    /// <summary>
    /// Adds operators of one's own, all or none: each needs a concrete <see cref="Op"/> type and a rule for exactly
    /// that type, and neither the type nor any ONNX operator type it imports may be registered already.
    /// </summary>
    /// <exception cref="ArgumentException">naming the definition and the conflict.</exception>
    public static void Register(IEnumerable<OperatorDefinition> definitions)
    {
        var added = definitions.ToList();
        lock (Gate) _catalog = _catalog.With(added);
    }

    /// <summary>
    /// An immutable view of the definitions with lookup tables. ONNX names are also checked against the importer's
    /// own operators (Identity, Dropout, Constant, ...), which no definition may take over.
    /// </summary>
    sealed class Catalog
    {
        public required IReadOnlyList<OperatorDefinition> Definitions { get; init; }
        public required Dictionary<Type, OperatorDefinition> ByType { get; init; }
        public required Dictionary<string, OnnxImport> ByOnnx { get; init; }
        public required IReadOnlyList<string> OnnxNames { get; init; }

        public static Catalog Of(IEnumerable<OperatorDefinition> definitions, IEnumerable<OnnxImport> composites)
        {
            var c = new Catalog
            {
                Definitions = Array.Empty<OperatorDefinition>(),
                ByType = new(),
                ByOnnx = new(),
                OnnxNames = Array.Empty<string>(),
            }.With(definitions);
            foreach (var imp in composites)
            {
                if (c.ByOnnx.ContainsKey(imp.OpType) || OnnxGraphReader.GenericOperators.Contains(imp.OpType))
                    throw new ArgumentException($"ONNX operator '{imp.OpType}' is imported twice");
                c.ByOnnx[imp.OpType] = imp;
                ((List<string>)c.OnnxNames).Add(imp.OpType);
            }
            return c;
        }

        public Catalog With(IEnumerable<OperatorDefinition> added)
        {
            var defs = Definitions.ToList();
            var byType = new Dictionary<Type, OperatorDefinition>(ByType);
            var byOnnx = new Dictionary<string, OnnxImport>(ByOnnx);
            var names = OnnxNames.ToList();
            foreach (var d in added)
            {
                ArgumentNullException.ThrowIfNull(d);
                d.Validate();
                if (byType.TryGetValue(d.OpType, out var old))
                    throw new ArgumentException($"operator {d.OpType.Name} is already registered (as '{old.Name}'); a registration cannot replace one");
                foreach (var imp in d.OnnxImports)
                {
                    if (OnnxGraphReader.GenericOperators.Contains(imp.OpType))
                        throw new ArgumentException($"operator definition '{d.Name}': ONNX operator '{imp.OpType}' is handled by the importer itself");
                    if (byOnnx.ContainsKey(imp.OpType))
                        throw new ArgumentException($"operator definition '{d.Name}': ONNX operator '{imp.OpType}' is already imported by '{Owner(defs, imp.OpType)}'");
                    byOnnx[imp.OpType] = imp;
                    names.Add(imp.OpType);
                }
                byType[d.OpType] = d;
                defs.Add(d);
            }
            return new Catalog { Definitions = defs, ByType = byType, ByOnnx = byOnnx, OnnxNames = names };
        }

        static string Owner(IEnumerable<OperatorDefinition> defs, string onnx) =>
            defs.FirstOrDefault(x => x.OnnxImports.Any(i => i.OpType == onnx))?.Name ?? "another definition of this call";
    }
}

using Certify.Graph;
using Certify.Operators;

namespace Certify.Bounds.Rules;

/// <summary>Maps each <see cref="Op"/> type to its bound rule (one instance per op kind).</summary>
public static class BoundRuleRegistry
{
    static readonly Dictionary<Type, BoundRule> Rules = new BoundRule[]
    {
        new InputRule(), new LinearRule(), new ConvRule(), new ConvTransposeRule(), new AffineOpRule(), new AddRule(),
        new ReshapeRule(), new TransposeRule(), new ConcatRule(), new SliceRule(), new GatherRule(), new PadRule(),
        new AvgPoolRule(), new ReduceRule(), new ReluRule(), new LeakyReluRule(), new SigmoidRule(), new TanhRule(),
        new SignRule(), new ClipRule(), new SinRule(), new CosRule(), new PowRule(), new MulRule(), new SoftmaxRule(),
        new MaxPoolRule(),
    }.ToDictionary(r => r.OpType);

    /// <summary>The rule for <paramref name="node"/>'s op.</summary>
    /// <exception cref="NotSupportedException">naming the node when its op has no rule.</exception>
    public static BoundRule For(Node node) =>
        Rules.TryGetValue(node.Op.GetType(), out var r) ? r
            : throw new NotSupportedException($"node '{node.Name}' ({node.Op.Kind}, from {node.Origin}) has no bound rule; supported ops: {string.Join(", ", Rules.Values.Select(v => v.OpType.Name.Replace("Op", "")))}");

    /// <summary>The rule for op type <paramref name="opType"/>, or null.</summary>
    public static BoundRule? For(Type opType) => Rules.GetValueOrDefault(opType);

    /// <summary>All registered op types.</summary>
    public static IEnumerable<Type> OpTypes => Rules.Keys;
}

using Certify.Graph;
using Certify.Operators;

namespace Certify.Bounds.Rules;

/// <summary>
/// The bound rule of each <see cref="Op"/> type: a view of <see cref="OperatorRegistry"/>, where every operator's
/// definition (rule included) lives, so that the bound algorithms find rules without naming any operator.
/// </summary>
public static class BoundRuleRegistry
{
    /// <summary>The rule for <paramref name="node"/>'s op.</summary>
    /// <exception cref="NotSupportedException">naming the node when its op has no rule.</exception>
    public static BoundRule For(Node node) =>
        OperatorRegistry.For(node.Op)?.Rule
            ?? throw new NotSupportedException($"node '{node.Name}' ({node.Op.Kind}, from {node.Origin}) has no bound rule; supported ops: {string.Join(", ", OperatorRegistry.Definitions.Select(d => d.Name))}");

    /// <summary>The rule for op type <paramref name="opType"/>, or null.</summary>
    public static BoundRule? For(Type opType) => OperatorRegistry.For(opType)?.Rule;

    /// <summary>All registered op types.</summary>
    public static IEnumerable<Type> OpTypes => OperatorRegistry.Definitions.Select(d => d.OpType);
}

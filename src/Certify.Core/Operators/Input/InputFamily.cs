namespace Certify.Operators;

/// <summary>
/// The network input (node 0 of every graph). Its bounds are the input box itself; it is neither imported as an ONNX
/// node (graph inputs are declared, not computed) nor exported as one.
/// </summary>
internal static class InputFamily
{
    public static IEnumerable<OperatorDefinition> Definitions { get; } = new[]
    {
        new OperatorDefinition { OpType = typeof(InputOp), Rule = new InputRule(), NotExactReason = "a second input node" },
    };
}

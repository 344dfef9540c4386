using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using Certify.Import.Onnx;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Tests.Operators;

/// <summary>
/// An operator Certify does not ship, written as a user would, outside the library: softsign <c>x / (1 + |x|)</c>
/// (ONNX Softsign), elementwise. It is registered with <see cref="OperatorRegistry.Register(OperatorDefinition)"/> and
/// then imported, bounded and exported like a built-in operator.
/// </summary>
public sealed class SoftsignOp : Op
{
    public override string Kind => "Softsign";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => Softsign.F(inputs[0]);
}

/// <summary>
/// Bounds of softsign. It is increasing, so IBP maps the endpoints. CROWN relaxation on <c>[l, u]</c>: with
/// <c>s = min f' = 1 / (1 + max(|l|, |u|))²</c> (f' decreases in |x|), <c>g(x) = f(x) − s·x</c> is nondecreasing on the
/// box, so <c>g(l) ≤ g(x) ≤ g(u)</c>, i.e. <c>s·x + f(l) − s·l ≤ f(x) ≤ s·x + f(u) − s·u</c>: two parallel lines through
/// the endpoints, valid on every box (l = u included, where both meet f). The intercepts are widened by a few units of
/// rounding of the dtype so that they stay sound in floating point.
/// </summary>
public sealed class SoftsignRule : ElementwiseRule<SoftsignOp>
{
    protected override Interval Ibp(SoftsignOp op, Node node, IReadOnlyList<Interval> inputs) => Monotone(inputs[0], Softsign.F);

    public override bool ExactImageOfInput => true;

    /// <summary>The relaxation on <c>[l, u]</c> (each <c>[B, *shape]</c>), for tests that check the lines themselves.</summary>
    public Relaxation Lines(Tensor l, Tensor u) => Relaxation(null!, l, u);

    protected override Relaxation Relaxation(SoftsignOp op, Tensor l, Tensor u)
    {
        var reach = maximum(l.abs(), u.abs());
        var s = 1 / ((1 + reach) * (1 + reach));
        double eps = l.dtype == ScalarType.Float64 ? 1e-12 : 2e-6;
        var margin = eps * (1 + reach);
        return new Relaxation(s, Softsign.F(l) - s * l - margin, s, Softsign.F(u) - s * u + margin);
    }
}

/// <summary>The definition and its one-time registration (registration is process-wide and refuses a second one).</summary>
public static class Softsign
{
    public static Tensor F(Tensor x) => x / (1 + x.abs());

    /// <summary>Why the exact back-ends refuse it (ends their error message).</summary>
    public const string NotExact = "softsign is smooth, not piecewise linear";

    public static OperatorDefinition Definition { get; } = new()
    {
        OpType = typeof(SoftsignOp),
        Rule = new SoftsignRule(),
        OnnxImports = new[] { new OnnxImport("Softsign", node => node.Emit(new SoftsignOp(), node.Variable(0))) },
        OnnxExport = (_, onnx) => onnx.AddNode("Softsign"),
        NotExactReason = NotExact,
    };

    static readonly Lazy<bool> Registered = new(() => { OperatorRegistry.Register(Definition); return true; });

    /// <summary>Registers softsign once per process (every test that needs it calls this first).</summary>
    public static void EnsureRegistered() => _ = Registered.Value;
}

using Certify.Graph;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

// Softmax, with the opset-13 change of its axis semantics. (Part of the ONNX reader, kept with SoftmaxOp.)
internal sealed partial class OnnxGraphReader
{
    internal void Softmax(OnnxValue?[] inputs)
    {
        var x = Var(inputs, 0);
        long axis = NormAxis(OnnxAttributes.Int(_node, "axis", Opset >= 13 ? -1 : 1), x.Rank);
        if (Opset >= 13 || axis == x.Rank - 1)
        {
            var sa = SampleAxes(ref x, new[] { axis })[0];
            Set(0, x with { Id = Add(new SoftmaxOp((int)sa), x.Id) });
            return;
        }
        // Before opset 13 the input is coerced to 2-d at `axis`: softmax over all trailing axes together.
        var flat = ReshapeTo(x, x.Shape.Take((int)axis).Append(x.Shape.Skip((int)axis).Aggregate(1L, (p, d) => p * d)).ToArray());
        var sm = flat with { Id = Add(new SoftmaxOp(flat.Sample.Length - 1), OutName() + ":flat", flat.Id) };
        Set(0, ReshapeTo(sm, x.Shape));
    }
}

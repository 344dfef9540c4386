using System.CommandLine;
using Certify.Graph;

namespace Certify.Cli.Commands;

/// <summary><c>certify info MODEL</c>: prints the imported layer graph.</summary>
public sealed class InfoCommand : ICliCommand
{
    public Command Build()
    {
        var model = new Argument<string>("model") { Description = "Network file (.onnx, or .nnet where supported)." };
        var cmd = new Command("info", "Print a network's layer graph as Certify imports it: node, op and attributes, inputs, output shape, parameters.") { model };
        cmd.SetAction(parse =>
        {
            var g = ModelLoading.Load(parse.GetValue(model)!);
            Console.WriteLine($"{g.Source}: {g.Nodes.Count} nodes, input {Op.ShapeText(g.InputShape)}, output {Op.ShapeText(g.OutputShape)} (per sample; a batch dimension leads every tensor)");
            Console.WriteLine($"{"id",4}  {"name",-32} {"op",-44} {"inputs",-12} {"shape",-18} params");
            foreach (var n in g.Nodes)
            {
                var name = n.Name.Length > 32 ? "…" + n.Name[^31..] : n.Name;
                Console.WriteLine($"{n.Id,4}  {name,-32} {n.Op,-44} {string.Join(",", n.Inputs),-12} {Op.ShapeText(n.Shape),-18} {n.Op.ParameterCount}");
            }
            Console.WriteLine($"parameters: {g.ParameterCount}; output node: {g.OutputId}");
            return 0;
        });
        return cmd;
    }
}

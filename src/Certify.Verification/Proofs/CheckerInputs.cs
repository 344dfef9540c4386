using System.Security.Cryptography;
using Certify.Checker;
using Certify.Graph;
using Certify.Operators;
using Certify.Spec;
using static TorchSharp.torch;

namespace Certify.Verification.Proofs;

/// <summary>
/// Turns Certify's graph and specification into the plain forms the independent checker reads (<see cref="PlainNetwork"/>,
/// <see cref="PlainProperty"/>), copying every weight exactly (the stored float32 or float64 values, as doubles; no op is
/// folded into another, so no product of weights is rounded here). Operators the checker has no rule for make the network
/// "not checkable", named. The checker does not trust this conversion: it compares its network with ONNX Runtime first.
/// </summary>
public static class CheckerInputs
{
    /// <summary>The first reason the checker cannot handle <paramref name="graph"/> ("not checkable: ..."), or null.</summary>
    public static string? NotCheckable(ComputationGraph graph)
    {
        try { Network(graph); return null; }
        catch (NotCheckableException e) { return e.Message; }
    }

    /// <summary>The graph as a chain of affine steps and ReLUs.</summary>
    /// <exception cref="NotCheckableException">for an operator or a graph shape the checker does not support.</exception>
    public static PlainNetwork Network(ComputationGraph graph)
    {
        using var scope = NewDisposeScope();
        var steps = new List<Step>();
        int previous = 0;
        long size = graph.InputSize;
        foreach (var node in graph.Nodes.Skip(1))
        {
            if (node.Inputs.Count != 1 || node.Inputs[0] != previous)
                throw new NotCheckableException($"not checkable: node '{node.Name}' ({node.Op.Kind}) is not part of a chain (the checker reads chains of layers only)");
            previous = node.Id;
            switch (node.Op)
            {
                case ReshapeOp:
                    break;   // the flat row-major layout is unchanged
                case LinearOp lin:
                    if (node.Inputs.Count != 1 || lin.InFeatures != size)
                        throw new NotCheckableException($"not checkable: node '{node.Name}' (Linear) applied to a tensor of more than one row");
                    steps.Add(new AffineStep(node.Name, (int)lin.InFeatures, (int)lin.OutFeatures, Doubles(lin.Weight),
                        lin.Bias is null ? new double[lin.OutFeatures] : Doubles(lin.Bias)));
                    break;
                case AffineOp aff:
                {
                    int n = (int)size;
                    var shape = node.Shape;
                    var scale = aff.Scale is null ? Enumerable.Repeat(1.0, n).ToArray() : Doubles(aff.Scale.to_type(ScalarType.Float64).expand(shape));
                    var shift = aff.Shift is null ? new double[n] : Doubles(aff.Shift.to_type(ScalarType.Float64).expand(shape));
                    var w = new double[(long)n * n];
                    for (int i = 0; i < n; i++) w[(long)i * n + i] = scale[i];
                    steps.Add(new AffineStep(node.Name, n, n, w, shift));
                    break;
                }
                case ReluOp:
                    steps.Add(new ReluStep(node.Name, (int)size));
                    break;
                default:
                    throw new NotCheckableException($"not checkable: {node.Op.Kind} (node '{node.Name}') has no rule in the checker");
            }
            size = node.Size;
        }
        if (previous != graph.OutputId) throw new NotCheckableException("not checkable: the output is not the last node of the chain");
        try { return new PlainNetwork((int)graph.InputSize, steps); }
        catch (CertificateException e) { throw new NotCheckableException("not checkable: " + e.Message); }
    }

    /// <summary>The specification's regions as plain numbers (rows numbered disjunct by disjunct, as in the certificate).</summary>
    public static PlainProperty Property(Specification spec) => new(spec.Regions.Select(r => new PlainRegion(
        r.Lower.ToArray(), r.Upper.ToArray(),
        r.Unsafe.Disjuncts.Select(d => (IReadOnlyList<PlainRow>)d.Rows.Select(h => new PlainRow(h.C.ToArray(), h.D)).ToList()).ToList())).ToList());

    /// <summary>Lower-case hex SHA-256 of a file's bytes.</summary>
    public static string Sha256(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }

    static double[] Doubles(Tensor t) => t.to_type(ScalarType.Float64).contiguous().reshape(-1).data<double>().ToArray();
}

/// <summary>The network or proof uses something the checker does not support; the message starts "not checkable: ".</summary>
public sealed class NotCheckableException(string message) : Exception(message);

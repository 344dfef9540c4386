using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Certify.Checker;

/// <summary>
/// A certificate of unsat (format <c>certify-certificate</c>, version 1; <c>specs/certificate.md</c>, schema
/// <c>specs/certificate.schema.json</c>). It binds itself to one network file and one property file by SHA-256, and holds
/// per input region of the property a proof tree in pre-order (<see cref="RegionProof.Nodes"/>): a split node is followed
/// by its first child's subtree, then its second's. Every number in it is a claim or a hint; the checker trusts none.
/// </summary>
public sealed record Certificate
{
    public const string FormatName = "certify-certificate";
    public const int CurrentVersion = 1;

    public string Format { get; init; } = FormatName;
    public int Version { get; init; } = CurrentVersion;
    /// <summary>The tool that wrote it (informative).</summary>
    public string? Producer { get; init; }
    public required FileHash Network { get; init; }
    public required FileHash Property { get; init; }
    /// <summary>The network's nonlinear nodes in order (ReLU and LeakyReLU layers), by name and size: the layers <see cref="Leaf.Pre"/>, slopes, betas and neuron splits refer to.</summary>
    public required IReadOnlyList<NonlinearNode> Nonlinear { get; init; }
    /// <summary>One proof per region of the property, in the property's order.</summary>
    public required IReadOnlyList<RegionProof> Regions { get; init; }

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        MaxDepth = 16,   // the tree is a flat list: nothing nests deeper than a leaf's slopes
    };

    /// <summary>Writes the certificate as JSON (gzip-compressed when the path ends in <c>.gz</c>).</summary>
    public void Save(string path)
    {
        using var file = File.Create(path);
        using Stream s = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionLevel.Fastest) : file;
        JsonSerializer.Serialize(s, this, Json);
    }

    /// <summary>Reads a certificate (plain or <c>.gz</c> JSON); one-line <see cref="CertificateException"/> when it is not one.</summary>
    public static Certificate Load(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            using Stream s = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
            var c = JsonSerializer.Deserialize<Certificate>(s, Json) ?? throw new CertificateException($"{path}: empty certificate");
            if (c.Format != FormatName) throw new CertificateException($"{path}: format '{c.Format}' is not {FormatName}");
            if (c.Version != CurrentVersion) throw new CertificateException($"{path}: version {c.Version}; this checker reads version {CurrentVersion}");
            return c;
        }
        catch (JsonException e) { throw new CertificateException($"{path}: not a certificate: {e.Message}"); }
        catch (InvalidDataException e) { throw new CertificateException($"{path}: not gzip data: {e.Message}"); }
    }
}

/// <summary>A file by name (informative) and SHA-256 of its bytes as stored (lower-case hex; binding).</summary>
public sealed record FileHash(string? File, string Sha256);

/// <summary>A nonlinear node of the network: its name and number of neurons.</summary>
public sealed record NonlinearNode(string Name, int Size);

/// <summary>The proof of one region: its input box (must equal the property's, bit for bit) and its tree in pre-order.</summary>
public sealed record RegionProof(double[] Lower, double[] Upper, IReadOnlyList<ProofNode> Nodes);

/// <summary>
/// One node of a proof tree: exactly one of <see cref="Split"/> or <see cref="Neuron"/> (two children follow),
/// <see cref="Leaf"/> (a refutation) or <see cref="Open"/> (a sub-problem the producer could not close or account for;
/// the checker always rejects it).
/// </summary>
public sealed record ProofNode(InputSplit? Split = null, Leaf? Leaf = null, string? Open = null, NeuronSplit? Neuron = null);

/// <summary>Bisection of input <see cref="Input"/> at <see cref="At"/>: children <c>x ≤ At</c>, then <c>x ≥ At</c>.</summary>
public sealed record InputSplit(int Input, double At);

/// <summary>
/// Case split on the input z of neuron <see cref="Index"/> of nonlinear node <see cref="Node"/> (an index into
/// <see cref="Certificate.Nonlinear"/>): children <c>z ≤ 0</c>, then <c>z ≥ 0</c>. The two cases cover every input, so
/// the split needs no check beyond naming a neuron that exists and is not split already on the path.
/// </summary>
public sealed record NeuronSplit(int Node, int Index);

/// <summary>
/// A leaf's witness. <see cref="Rows"/>[k]: the row (numbered across the region's disjuncts) that refutes disjunct k.
/// <see cref="Pre"/>[l]: the claimed bounds of the input of nonlinear node l over the leaf's box (every node, in order).
/// <see cref="Slopes"/>[k][l]: the ReLU lower slopes (each in [0, 1]) used for row k's bound at node l; a null entry
/// means CROWN's adaptive choice (1 where upper &gt; −lower, else the node's negative slope: 0 for ReLU).
/// <see cref="Betas"/>[k][l]: beta-CROWN multipliers of the split constraints of node l's neurons for row k's bound (only
/// neurons split on the leaf's path count; negative values are read as 0; null: none).
/// </summary>
public sealed record Leaf(int[] Rows, IReadOnlyList<NodeBounds> Pre, double[]?[]?[]? Slopes = null, double[]?[]?[]? Betas = null);

/// <summary>Claimed lower and upper bounds of a node's neurons.</summary>
public sealed record NodeBounds(double[] Lower, double[] Upper);

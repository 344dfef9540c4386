namespace Certify.Fuzzing;

/// <summary>
/// Something the fuzzer feeds bytes to. <see cref="Run"/> returns normally for an input that was handled as documented
/// (accepted, or refused with the documented user-facing exception) and throws anything else: every exception that
/// escapes <see cref="Run"/> is a crash.
/// </summary>
public interface IFuzzTarget
{
    /// <summary>Short name (<c>vnnlib</c>, <c>onnx</c>), used in file names.</summary>
    string Name { get; }

    /// <summary>File extension for saved inputs, with the dot.</summary>
    string Extension { get; }

    /// <summary>Largest input the mutators produce.</summary>
    int MaxInputBytes { get; }

    /// <summary>The coverage map that <see cref="Run"/> writes to.</summary>
    ICoverageMap Coverage { get; }

    /// <summary>The starting corpus (small valid inputs, so that mutations start deep inside the code).</summary>
    IReadOnlyList<byte[]> Seeds();

    /// <summary>A structure-aware mutation of <paramref name="input"/>, or null when none applies (the engine then mutates bytes).</summary>
    byte[]? Mutate(byte[] input, IReadOnlyList<byte[]> corpus, Random rng);

    /// <summary>Tokens worth inserting during byte-level mutation (keywords, magic numbers).</summary>
    IReadOnlyList<byte[]> Dictionary { get; }

    /// <summary>
    /// Smaller variants of <paramref name="input"/> that keep its structure (for ONNX: the model without one node, one
    /// initializer, one attribute), tried before byte-level deletion when a crash is minimised; empty when none apply.
    /// </summary>
    IEnumerable<byte[]> Reductions(byte[] input) => [];

    /// <summary>Runs one input; returns a short outcome label ("accepted", "rejected"); throws on a crash.</summary>
    string Run(byte[] input);
}

/// <summary>A property of an accepted input that does not hold (e.g. an imported graph whose output shape is not the declared one).</summary>
public sealed class FuzzPropertyException(string message) : Exception(message);

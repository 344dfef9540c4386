namespace Certify.Tests.Hostile;

/// <summary>What a hostile case must end in.</summary>
public abstract record Expectation
{
    /// <summary>
    /// A one-line error (every line on standard error starts with <c>certify:</c>, none is a stack-trace frame) with exit
    /// code <paramref name="Code"/>, whose text names every string of <paramref name="Mentions"/> (the file and the line,
    /// node, initializer or option at fault).
    /// </summary>
    public sealed record Error(int Code, params string[] Mentions) : Expectation;

    /// <summary>
    /// A verdict equal to <paramref name="Word"/>, the ground truth of the case (known analytically from the network
    /// and the property). <c>unknown</c>/<c>timeout</c> are accepted only when <paramref name="AllowUndecided"/>.
    /// </summary>
    public sealed record Verdict(string Word, bool AllowUndecided = false) : Expectation;

    /// <summary>
    /// Either outcome is right: an error as <see cref="Error"/> names it, or the verdict <paramref name="Word"/> (for
    /// mutations that may or may not leave a valid file, such as a protobuf cut at a field boundary).
    /// </summary>
    public sealed record ErrorOrVerdict(Error Refusal, string Word) : Expectation;

    /// <summary>The command succeeds (exit 0) and its standard output contains every string of <paramref name="Mentions"/>.</summary>
    public sealed record Success(params string[] Mentions) : Expectation;
}

/// <summary>One hostile input: the <c>certify</c> arguments that feed it to a command, and what must come out.</summary>
/// <param name="Group">The kind of input (onnx, nnet, vnnlib, list, option), for the per-group count.</param>
/// <param name="Name">What the case does, unique in the corpus.</param>
/// <param name="Args">The <c>certify</c> command line.</param>
/// <param name="Expect">The required outcome.</param>
public sealed record HostileCase(string Group, string Name, string[] Args, Expectation Expect)
{
    public override string ToString() => $"{Group}/{Name}";
}

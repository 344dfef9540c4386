namespace Certify.Import;

/// <summary>
/// A model file that Certify cannot read: malformed, using an unsupported operator or an unsupported form of one.
/// The message always names the file and, where it applies, the node (name and op type) and what is supported.
/// </summary>
public sealed class ImportException : Exception
{
    public ImportException(string message) : base(message) { }
    public ImportException(string message, Exception inner) : base(message, inner) { }
}

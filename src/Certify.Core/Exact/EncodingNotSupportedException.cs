namespace Certify.Exact;

/// <summary>An op or configuration that the exact back-ends cannot encode; the message names the node and the op.</summary>
public sealed class EncodingNotSupportedException(string message) : Exception(message);

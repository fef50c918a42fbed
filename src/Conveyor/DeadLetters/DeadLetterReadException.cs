namespace Conveyor.DeadLetters;

/// <summary>
/// A dead-letter topic cannot be read as one: a record lacks the <c>conveyor.*</c> headers, or the
/// cluster stopped delivering before the read was done. The message says what and where.
/// </summary>
internal sealed class DeadLetterReadException(string message) : Exception(message);

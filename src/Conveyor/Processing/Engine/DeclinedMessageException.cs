namespace Conveyor.Processing.Engine;

/// <summary>
/// Thrown by a handler or deserializer of Conveyor's own tools (the CLI's <c>--max-messages</c>,
/// an exactly-once forwarder whose message's partition went before it could write its outputs)
/// to leave a message unfinished without failing it: no retry, no dead letter, its offset is not
/// committed, and it is consumed again later. Not for users: a user's handler that must not
/// finish a message lets the processor stop.
/// </summary>
internal sealed class DeclinedMessageException() : Exception("The message was declined and stays unfinished.");

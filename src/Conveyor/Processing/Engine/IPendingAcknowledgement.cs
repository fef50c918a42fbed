namespace Conveyor.Processing.Engine;

/// <summary>
/// What a handler handed off without waiting for it (a forwarder's outputs, given to the producer):
/// the worker is free at once, and the message is finished only when <see cref="Acknowledged"/>
/// completes. Until then its offset is not committed and its partition's revoke waits for it.
/// </summary>
internal interface IPendingAcknowledgement
{
    /// <summary>Completes once everything handed off is confirmed; faults with the reason when something is not.</summary>
    Task Acknowledged { get; }

    /// <summary>Sends again whatever was not confirmed, after <see cref="Acknowledged"/> faulted; returns what to wait for next.</summary>
    IPendingAcknowledgement Resend();
}

namespace Conveyor.Processing.Engine;

/// <summary>
/// What a handler handed off without waiting for it (a forwarder's outputs, given to the producer):
/// the worker is free at once, and the message is finished only when it is settled. Until then its
/// offset is not committed and its partition's revoke waits for it.
/// </summary>
internal interface IPendingAcknowledgement
{
    /// <summary>
    /// Calls <paramref name="settled"/> once, on whatever thread settles it (at once if it already
    /// is): with a null failure when everything handed off was confirmed, else with the reason
    /// (an <see cref="OperationCanceledException"/> when the message must stay unfinished). A plain
    /// callback rather than a task: the common case, confirmed, then costs no allocation.
    /// </summary>
    void WhenSettled(Action<WorkItem, IPendingAcknowledgement, Exception?> settled, WorkItem item);

    /// <summary>Sends again whatever was not confirmed, after a failure; <see cref="WhenSettled"/> may then be called again.</summary>
    IPendingAcknowledgement Resend();
}

/// <summary>Awaiting an <see cref="IPendingAcknowledgement"/>, for the paths where a task's cost does not matter (retries).</summary>
internal static class PendingAcknowledgements
{
    /// <summary>Completes when <paramref name="pending"/> is confirmed; faults with its failure otherwise.</summary>
    /// <param name="pending">What was handed off.</param>
    /// <param name="item">The message.</param>
    /// <param name="continuations">How the awaiter continues: off the settling thread (<see cref="EngineRuntime.DrainCompletion"/>), unless a simulator runs everything on one thread.</param>
    public static Task SettledAsync(this IPendingAcknowledgement pending, WorkItem item, TaskCreationOptions continuations = TaskCreationOptions.RunContinuationsAsynchronously)
    {
        var settled = new TaskCompletionSource(continuations);
        pending.WhenSettled(
            (_, _, failure) =>
            {
                switch (failure)
                {
                    case null:
                        settled.TrySetResult();
                        break;
                    case OperationCanceledException cancelled:
                        settled.TrySetCanceled(cancelled.CancellationToken);
                        break;
                    default:
                        settled.TrySetException(failure);
                        break;
                }
            },
            item);
        return settled.Task;
    }
}

using System.Diagnostics;
using System.Runtime.CompilerServices;
using Conveyor.Processing.Batching;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Concurrency;
using Conveyor.Processing.Transactions;

namespace Conveyor.Processing.Engine;

/// <summary>
/// The loop each of the <see cref="ProcessorOptions.MaxConcurrency"/> workers runs: takes a ready
/// message from the dispatcher (within the live concurrency limit), runs it, and reports the outcome back to the dispatcher (which owns
/// the offsets and lanes). A message that handed something off frees the worker and its lane at
/// once; it finishes on the acknowledgement's continuation, on no worker. A pipelined forwarder's
/// workers wait for room in its output window before they take (<see cref="ITakeRoom"/>).
/// </summary>
internal sealed partial class Worker<TKey, TValue>
{
    private readonly Dispatcher _dispatcher;
    private readonly MessageExecutor<TKey, TValue> _executor;
    private readonly IEngineEvents _events;
    private readonly CommitSchedule _schedule;
    private readonly TransactionGate? _gate;
    private readonly CancellationTokenSource _stopping;
    private readonly Action<WorkItem, IPendingAcknowledgement, Exception?> _settled;
    private readonly CancellationToken _abort;
    private readonly BatchExecutor<TKey, TValue>? _batches;
    private readonly HandlerAttempts? _attempts;
    private readonly ITakeRoom? _room;

    public Worker(
        Dispatcher dispatcher,
        MessageExecutor<TKey, TValue> executor,
        IEngineEvents events,
        CommitSchedule schedule,
        TransactionGate? gate,
        CancellationTokenSource stopping,
        CancellationToken abort,
        BatchExecutor<TKey, TValue>? batches = null,
        HandlerAttempts? attempts = null,
        ITakeRoom? room = null)
    {
        if (room is not null)
        {
            // A stop lets the workers waiting for room through to the dispatcher, which ends them
            // once the drain is over (the window may never empty, if the producer is gone).
            stopping.Token.UnsafeRegister(static state => ((ITakeRoom)state!).Open(), room);
        }

        _room = room;
        _batches = batches;
        _attempts = attempts;
        _abort = abort;
        _dispatcher = dispatcher;
        _executor = executor;
        _events = events;
        _schedule = schedule;
        _gate = gate;
        _stopping = stopping;
        _settled = OnSettled;
    }

    /// <summary>Runs ready messages (or, with a batch handler, runs of them: <c>Worker.Runs.cs</c>) until the dispatcher completes.</summary>
    public Task RunAsync() => _batches is null ? RunMessagesAsync() : RunBatchesAsync(_batches);

    private async Task RunMessagesAsync()
    {
        var abort = _abort; // cancelled when running handlers and dead letters under way must give up (stop timeout passed)
        var waiter = new ReadyWaiter(_dispatcher.Runtime);
        var room = _room;
        if (room is not null)
        {
            await room.HoldAsync().ConfigureAwait(false);
        }

        var next = _dispatcher.TakeAsync(waiter);
        while (await next.ConfigureAwait(false) is { } item)
        {
            (PreviousTake End, IPendingAcknowledgement? Pending) ended;
            try
            {
                ended = await RunAsync(item, waiter.Started, abort).ConfigureAwait(false);
            }
            catch
            {
                // The take counted against the concurrency limit until now (Dispatcher.Limit.cs).
                _dispatcher.Release();
                room?.Release();
                throw;
            }

            // Room for the next message, or a wait for it that holds nothing: the message's end
            // goes first, alone, and the take follows the wait.
            var roomed = room?.HoldNextAsync() ?? ValueTask.CompletedTask;
            var waits = !roomed.IsCompleted;
            if (waits)
            {
                _dispatcher.End(item, ended.End);
            }
            else
            {
                roomed.GetAwaiter().GetResult();

                // The message's end, the end of its take and the next take, under one lock.
                next = _dispatcher.TakeNextAsync(waiter, item, ended.End);
            }

            if (ended.End == PreviousTake.Finish)
            {
                _schedule.MessageFinished();
            }

            // Only once its lane moved on: the settle may finish it at once.
            ended.Pending?.WhenSettled(_settled, item);
            if (waits)
            {
                await roomed.ConfigureAwait(false);
                next = _dispatcher.TakeAsync(waiter);
            }
        }

        room?.Release();
    }

    /// <summary>
    /// Runs a taken message (<paramref name="started"/>: the take marked it running already). Returns
    /// what is left of its end for the next take (<see cref="Dispatcher.TakeNextAsync"/>), and what it
    /// handed off, to be told once its lane moved on there.
    /// </summary>
    /// <remarks>Pooled, like <see cref="MessageExecutor{TKey, TValue}.ExecuteAsync"/>: it waits whenever the message does.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(PreviousTake End, IPendingAcknowledgement? Pending)> RunAsync(WorkItem item, bool started, CancellationToken abort)
    {
        // Exactly-once: a message holds the commit gate only once it writes an output (the
        // transactional handler enters it), so a commit never waits for user code that wrote nothing.
        if (!started && !_dispatcher.TryStart(item))
        {
            return (PreviousTake.Release, null);
        }

        var trace = _events.MessageStarted(item);
        var execution = new Execution(ExecutionOutcome.Abandoned);
        var running = _dispatcher.Taken;
        var began = _attempts is null ? 0 : Stopwatch.GetTimestamp(); // read only for whoever weighs the attempts
        try
        {
            execution = await _executor.ExecuteAsync(item, _stopping.Token, abort).ConfigureAwait(false);
            if (execution.Outcome == ExecutionOutcome.HandedOff && _dispatcher.Runtime.Bugs.HasFlag(ReintroducedBugs.FinishOnHandOff))
            {
                execution = new Execution(ExecutionOutcome.Finished);
            }

            if (execution.Outcome == ExecutionOutcome.HandedOff && _gate is not null)
            {
                // Exactly-once: the lane moves on before the gate is released below.
                _dispatcher.HandOff(item);
                execution.Pending!.WhenSettled(_settled, item);
            }
        }
        finally
        {
            _events.MessageEnded(item, trace, execution);
        }

        _attempts?.Attempted(Stopwatch.GetElapsedTime(began), execution.Outcome == ExecutionOutcome.RetryLater, execution.Failure, running);
        if (_gate is not null && item.Attempts > 0 && !_dispatcher.Runtime.Bugs.HasFlag(ReintroducedBugs.AbortRewindResetsAttempts))
        {
            // Exactly-once: an aborted transaction's rewind reads this message again; its failed calls still count.
            item.Partition.Attempts.Record(item.Offset, item.Attempts);
        }

        var end = PreviousTake.Release;
        IPendingAcknowledgement? pending = null;
        switch (execution.Outcome)
        {
            case ExecutionOutcome.HandedOff:
                // Without a gate the hand-off goes with the next take (nothing below waits for it).
                (end, pending) = _gate is null ? (PreviousTake.HandOff, execution.Pending) : (PreviousTake.Release, null);
                break;
            case ExecutionOutcome.RetryLater:
                _dispatcher.Suspend(item);
                _ = RetryLaterAsync(item, execution.RetryDelay);
                break;
            case ExecutionOutcome.Finished when _gate is null:
                // Finished with the next take (nothing below waits for it).
                end = PreviousTake.Finish;
                break;
            default:
                end = await ApplyAsync(item, execution.Outcome, release: true).ConfigureAwait(false) ? PreviousTake.Released : PreviousTake.Release;
                break;
        }

        _gate?.Release(item); // after the finish: the commit that waits for it covers its offset
        return (end, pending);
    }

    /// <summary>
    /// Waits out a failed message's back-off on no worker, then makes it ready again. A stop does not
    /// wait for it: the message stays unfinished, its offset uncommitted, and is consumed again later.
    /// </summary>
    private async Task RetryLaterAsync(WorkItem item, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _dispatcher.Runtime.Time, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping: dropped below, like a message of a partition that takes no more work.
        }

        if (!_dispatcher.Resume(item, drop: _stopping.IsCancellationRequested))
        {
            _events.MessageDropped(item);
        }
    }

    /// <summary>What a message handed off is settled, on whatever thread settled it (the producer's delivery thread).</summary>
    private void OnSettled(WorkItem item, IPendingAcknowledgement pending, Exception? failure)
    {
        if (failure is null)
        {
            _dispatcher.Finish(item, finished: true);
            _schedule.MessageFinished();
            return;
        }

        // Off the thread that settled it: retries wait, dead letters are written.
        _dispatcher.Runtime.Detach(
            static state =>
            {
                var (worker, settledItem, settledPending, settledFailure) = ((Worker<TKey, TValue>, WorkItem, IPendingAcknowledgement, Exception))state!;
                _ = worker.RecoverAsync(settledItem, settledPending, settledFailure);
            },
            (this, item, pending, failure));
    }

    private async Task RecoverAsync(WorkItem item, IPendingAcknowledgement pending, Exception failure)
    {
        var outcome = await _executor.RecoverAsync(item, pending, failure, _stopping.Token, _abort).ConfigureAwait(false);
        await ApplyAsync(item, outcome).ConfigureAwait(false);
    }

    /// <summary>Ends a message by its outcome; <paramref name="release"/>: a worker's take ends with it (one lock for both). Returns <paramref name="release"/>.</summary>
    private async Task<bool> ApplyAsync(WorkItem item, ExecutionOutcome outcome, bool release = false)
    {
        switch (outcome)
        {
            case ExecutionOutcome.StopPartition:
                _dispatcher.Stop(item.Partition);
                break;
            case ExecutionOutcome.StopProcessor:
                _dispatcher.Stop(item.Partition);
                await _stopping.CancelAsync().ConfigureAwait(false);
                break;
        }

        _dispatcher.Finish(item, outcome == ExecutionOutcome.Finished, release);
        if (outcome == ExecutionOutcome.Finished)
        {
            _schedule.MessageFinished();
        }

        return release;
    }
}

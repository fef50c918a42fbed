using System.Diagnostics.CodeAnalysis;

namespace Conveyor.Processing.Engine;

/// <summary>
/// How workers take ready messages and mark them running. A worker's next take also ends its
/// previous message (<see cref="TakeNextAsync"/>): one lock per message on the worker's side instead
/// of one each for the end, the release, the take and the start, which the workers of a forwarder
/// (let into the output window together) otherwise queued for.
/// </summary>
internal sealed partial class Dispatcher
{
    /// <summary>
    /// The next ready message, of the partition whose turn it is (see <see cref="ReadyTurns"/>); waits
    /// with <paramref name="waiter"/> (the calling worker's own) while none is ready or the
    /// concurrency limit is reached (<c>Dispatcher.Limit.cs</c>: the worker calls <see cref="Release"/> when done with it). Null once
    /// <see cref="Complete"/> was called and nothing is ready. For batches, the partition's whole
    /// run is in the waiter's <see cref="ReadyWaiter.Run"/>, and this is its first message.
    /// </summary>
    public ValueTask<WorkItem?> TakeAsync(ReadyWaiter waiter)
    {
        lock (_lock)
        {
            if (HasSlotLocked && (_runs is null ? _ready.TryTake(out var item) : TryTakeRunLocked(waiter.Run, out item)))
            {
                TakenLocked();
                waiter.Started = false;
                return new ValueTask<WorkItem?>(item);
            }

            return WaitLocked(waiter);
        }
    }

    /// <summary>
    /// Ends the worker's <paramref name="previous"/> message as <paramref name="end"/> says, then
    /// takes the next ready message as <see cref="TakeAsync"/> does, under one lock. A message
    /// taken at once is marked running there too (<see cref="ReadyWaiter.Started"/>; a partition
    /// that takes no more work drops it, as <see cref="TryStart"/> would, and the next is taken); one
    /// the worker waits for is not, and the worker calls <see cref="TryStart"/>. Not for batches.
    /// </summary>
    public ValueTask<WorkItem?> TakeNextAsync(ReadyWaiter waiter, WorkItem previous, PreviousTake end)
    {
        lock (_lock)
        {
            EndLocked(previous, end);
            while (HasSlotLocked && _ready.TryTake(out var item))
            {
                TakenLocked();
                if (!item.Partition.AcceptsWork)
                {
                    Volatile.Write(ref _taken, _taken - 1);
                    ReleaseLocked(item);
                    AdvanceLaneLocked(item);
                    continue;
                }

                Writable(item.Partition).Start();
                waiter.Started = true;

                // What the previous message's end made ready beyond this one goes to idle workers.
                WakeLocked();
                return new ValueTask<WorkItem?>(item);
            }

            WakeLocked();
            return WaitLocked(waiter);
        }
    }

    /// <summary>
    /// Ends the worker's <paramref name="previous"/> message as <see cref="TakeNextAsync"/> does,
    /// without a next take: the worker waits for room downstream first (<see cref="ITakeRoom"/>),
    /// holding nothing, then takes with <see cref="TakeAsync"/>. Not for batches.
    /// </summary>
    public void End(WorkItem previous, PreviousTake end)
    {
        lock (_lock)
        {
            EndLocked(previous, end);

            // What the end made ready goes to idle workers.
            WakeLocked();
        }
    }

    /// <summary>The next ready message, of the partition whose turn it is; false when none is ready.</summary>
    public bool TryTake([MaybeNullWhen(false)] out WorkItem item)
    {
        lock (_lock)
        {
            return _ready.TryTake(out item);
        }
    }

    /// <summary>Marks a ready message running; false (and the message dropped) when its partition takes no more work.</summary>
    public bool TryStart(WorkItem item)
    {
        lock (_lock)
        {
            if (!item.Partition.AcceptsWork)
            {
                ReleaseLocked(item);
                AdvanceLaneLocked(item);
                return false;
            }

            Writable(item.Partition).Start();
            return true;
        }
    }

    private void EndLocked(WorkItem previous, PreviousTake end)
    {
        switch (end)
        {
            case PreviousTake.HandOff:
                HandOffLocked(previous);
                break;
            case PreviousTake.Finish:
                FinishLocked(previous, finished: true);
                break;
        }

        if (end != PreviousTake.Released)
        {
            Volatile.Write(ref _taken, _taken - 1);
        }
    }

    /// <summary>Nothing to take: null once completed, else the worker waits idle for <see cref="WakeLocked"/>.</summary>
    private ValueTask<WorkItem?> WaitLocked(ReadyWaiter waiter)
    {
        waiter.Started = false;
        if (_completed)
        {
            return new ValueTask<WorkItem?>((WorkItem?)null);
        }

        var waiting = waiter.Wait();
        _idle.Push(waiter);
        return waiting;
    }

    /// <summary>Hands ready messages to idle workers, in the partitions' turns.</summary>
    private void WakeLocked()
    {
        if (_runs is not null)
        {
            WakeForRunsLocked();
            return;
        }

        while (_idle.Count > 0 && HasSlotLocked && _ready.TryTake(out var item))
        {
            TakenLocked();
            _idle.Pop().Complete(item);
        }
    }
}

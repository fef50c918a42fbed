namespace Conveyor.Processing.Engine;

/// <summary>
/// Hands fetched messages to workers, one at a time per ordering lane (or, for batches, one
/// partition's run at a time: <c>Dispatcher.Runs.cs</c>), and keeps each
/// partition's offsets and buffer counts. Thread-safe: the poll loop submits and drains, workers
/// start and finish; one lock guards all of it, and each partition's <see cref="PartitionWork"/>,
/// which only the dispatcher writes.
/// </summary>
internal sealed partial class Dispatcher
{
    private readonly Lock _lock = new();

    private readonly ReadyTurns _ready = new();

    // Workers waiting for a ready message; there is none while any waits.
    private readonly Stack<ReadyWaiter> _idle = new();
    private bool _completed;
    private int _buffered;
    private long _bufferedBytes;
    private TaskCompletionSource? _room;
    private int _roomMessages;
    private long _roomBytes;

    /// <summary>The engine's time, waits and wake-ups, for every part that holds the dispatcher.</summary>
    public EngineRuntime Runtime { get; }

    /// <summary>Fetched messages not yet finished or dropped, in all partitions.</summary>
    public int Buffered => Volatile.Read(ref _buffered);

    public long BufferedBytes => Volatile.Read(ref _bufferedBytes);

    /// <summary>Tracks a fetched message and queues it behind its lane (or makes it ready).</summary>
    public void Submit(WorkItem item)
    {
        lock (_lock)
        {
            SubmitLocked(item);
            WakeLocked();
        }
    }

    /// <summary>Submits messages in order under one lock acquisition.</summary>
    public void Submit(List<WorkItem> items)
    {
        lock (_lock)
        {
            foreach (var item in items)
            {
                SubmitLocked(item);
            }

            // Idle workers are woken once all are queued, so they too take partitions in turn.
            WakeLocked();
        }
    }

    /// <summary>
    /// A running message failed and waits for its retry: it no longer runs (a revoke or a stop does
    /// not wait for it), but keeps its ordering lane, its place in the buffer and its unfinished offset.
    /// </summary>
    public void Suspend(WorkItem item)
    {
        lock (_lock)
        {
            Writable(item.Partition).End();
        }
    }

    /// <summary>
    /// A suspended message's back-off is over: it is ready to run again, first in its lane; false
    /// (and the message dropped, unfinished) when its partition takes no more work or <paramref name="drop"/>
    /// (the processor is stopping).
    /// </summary>
    public bool Resume(WorkItem item, bool drop)
    {
        lock (_lock)
        {
            if (_runs is not null)
            {
                return ResumeRunLocked(item, drop);
            }

            if (drop || !item.Partition.AcceptsWork)
            {
                ReleaseLocked(item);
                DropLaneLocked(item);
                return false;
            }

            _ready.Add(item);
            WakeLocked();
            return true;
        }
    }

    /// <summary>
    /// A running message's handler is done and handed something off that is still to be
    /// acknowledged: the next message of its lane may start. The message still counts as running
    /// (a revoke waits for it) and its offset stays unfinished until <see cref="Finish"/>.
    /// </summary>
    public void HandOff(WorkItem item)
    {
        lock (_lock)
        {
            HandOffLocked(item);
            WakeLocked();
        }
    }

    private void HandOffLocked(WorkItem item)
    {
        item.LaneReleased = true;
        AdvanceLaneLocked(item);
    }

    /// <summary>
    /// A running message is done. <paramref name="finished"/>: its offset may be committed
    /// (handled, or dead-lettered); otherwise it stays unfinished and holds its partition's commit back.
    /// <paramref name="release"/>: its worker is done with the take too (<see cref="Release"/>, under the same lock).
    /// </summary>
    public void Finish(WorkItem item, bool finished, bool release = false)
    {
        lock (_lock)
        {
            if (release)
            {
                Volatile.Write(ref _taken, _taken - 1);
            }

            FinishLocked(item, finished);
            WakeLocked();
        }
    }

    private void FinishLocked(WorkItem item, bool finished)
    {
        var partition = item.Partition;
        if (finished && !partition.Closed)
        {
            Offsets(partition).Complete(item.Offset);
        }

        ReleaseLocked(item);
        Writable(partition).End();

        if (item.LaneReleased)
        {
            // Its lane moved on when it handed its work off.
        }
        else if (finished)
        {
            AdvanceLaneLocked(item);
        }
        else
        {
            // A lane never runs past an unfinished message: the ones behind it are dropped and
            // fetched again with it (after a restart, or by the partition's next owner).
            DropLaneLocked(item);
        }
    }

    /// <summary>A message failed with <see cref="FailureAction.StopPartition"/>: its partition starts nothing more.</summary>
    public void Stop(PartitionState partition)
    {
        lock (_lock)
        {
            Writable(partition).Stop();
            DropReadyLocked(partition);
        }
    }

    /// <summary>
    /// Starts nothing more in these partitions and completes once their running handlers are done.
    /// Messages not yet started are dropped (fetched again by whoever owns the partition next).
    /// </summary>
    public Task DrainAsync(IEnumerable<PartitionState> partitions)
    {
        var drains = new List<Task>();
        lock (_lock)
        {
            foreach (var partition in partitions)
            {
                if (Writable(partition).Drain(Runtime.DrainCompletion) is { } drained)
                {
                    drains.Add(drained);
                }

                DropReadyLocked(partition);
            }
        }

        return Task.WhenAll(drains);
    }

    /// <summary>The partitions are gone (committed after revoke, or lost): later completions no longer count.</summary>
    public void Close(IEnumerable<PartitionState> partitions)
    {
        lock (_lock)
        {
            foreach (var partition in partitions)
            {
                Writable(partition).Close();
                DropReadyLocked(partition);
            }
        }
    }

    /// <summary>The offset to commit for a partition: its lowest unfinished offset, or null when nothing was fetched.</summary>
    public long? Committable(PartitionState partition)
    {
        lock (_lock)
        {
            return Offsets(partition).Committable;
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> until at most <paramref name="messages"/> messages and
    /// <paramref name="bytes"/> bytes are buffered; true when they are. One waiter at a time (the poll loop).
    /// </summary>
    public bool WaitForRoom(int messages, long bytes, TimeSpan timeout)
    {
        Task room;
        lock (_lock)
        {
            if (_buffered <= messages && _bufferedBytes <= bytes)
            {
                return true;
            }

            _room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _roomMessages = messages;
            _roomBytes = bytes;
            room = _room.Task;
        }

        var made = Runtime.Wait(room, timeout);
        lock (_lock)
        {
            _room = null;
        }

        return made;
    }

    /// <summary>No more work will be submitted: workers end once nothing is ready.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            _completed = true;
            _due?.Dispose();
            _rateTimer?.Dispose();
            while (_idle.TryPop(out var waiter))
            {
                waiter.Complete(null);
            }
        }
    }

    private void SubmitLocked(WorkItem item)
    {
        var partition = item.Partition;
        Offsets(partition).Track(item.Offset);
        Writable(partition).Buffer(item.Size);
        _buffered++;
        _bufferedBytes += item.Size;

        if (_runs is not null)
        {
            // A partition's runs are its lane: one at a time, in offset order (Dispatcher.Runs.cs).
            _ready.Add(item, Runtime.Time.GetTimestamp());
            return;
        }

        if (TakeLaneLocked(item))
        {
            _ready.Add(item);
        }
    }

    /// <summary>
    /// Drops the ready messages of a partition that takes no more work, with the messages behind
    /// them in their lanes: they are fetched again by whoever owns the partition next.
    /// </summary>
    private void DropReadyLocked(PartitionState partition)
    {
        var work = Writable(partition);
        while (work.TryTakeReady(out var item))
        {
            ReleaseLocked(item);
            DropLaneLocked(item);
        }
    }

    private void ReleaseLocked(WorkItem item)
    {
        Writable(item.Partition).Unbuffer(item.Size);
        _buffered--;
        _bufferedBytes -= item.Size;
        if (_room is not null && _buffered <= _roomMessages && _bufferedBytes <= _roomBytes)
        {
            _room.TrySetResult();
        }
    }
}

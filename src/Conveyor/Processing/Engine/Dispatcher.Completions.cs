namespace Conveyor.Processing.Engine;

/// <summary>Persisted completions: what a commit records above the committed offset.</summary>
internal sealed partial class Dispatcher
{
    // The batch of finishes the current thread holds back, if it serves batches (FinishBatch).
    [ThreadStatic]
    private static FinishBatch? _finishes;

    /// <summary>
    /// From now on, this thread's finishes of confirmed messages (<see cref="Finish"/> with
    /// <c>finished</c> and no release) are held back until <see cref="FinishHeldBack"/>, on this
    /// thread, which finishes them under one lock per dispatcher instead of one lock each: the
    /// output producer's delivery thread, for the inputs a batch of delivery reports acknowledged
    /// (<see cref="Forwarding.ReportBatch"/>). Nothing else changes: a message held back still counts
    /// as running and unfinished (a drain waits for it, a commit stops below it) until then.
    /// </summary>
    public static void HoldFinishesBack() => (_finishes ??= new FinishBatch()).Open = true;

    /// <summary>Finishes what this thread held back since <see cref="HoldFinishesBack"/>, in the order it came; later finishes go at once again.</summary>
    public static void FinishHeldBack()
    {
        if (_finishes is not { } batch)
        {
            return;
        }

        batch.Open = false;
        var items = batch.Items;
        try
        {
            for (var i = 0; i < items.Count;)
            {
                var dispatcher = items[i].Dispatcher;
                lock (dispatcher._lock)
                {
                    for (; i < items.Count && items[i].Dispatcher == dispatcher; i++)
                    {
                        dispatcher.FinishLocked(items[i].Item, finished: true);
                    }

                    dispatcher.WakeLocked();
                }
            }
        }
        finally
        {
            items.Clear();
        }
    }

    /// <summary>Holds a confirmed finish back when this thread serves a batch (<see cref="HoldFinishesBack"/>).</summary>
    private bool HeldBack(WorkItem item)
    {
        if (_finishes is { Open: true } batch)
        {
            batch.Items.Add((this, item));
            return true;
        }

        return false;
    }

    /// <summary>
    /// The offset to commit for a partition, as <see cref="Committable"/>, with the finished offsets
    /// above it added to <paramref name="finished"/> in increasing order; read under one lock, so the two agree.
    /// </summary>
    public long? CommitPoint(PartitionState partition, List<long> finished)
    {
        lock (_lock)
        {
            Offsets(partition).AddFinishedAboveCommittable(finished);
            return Offsets(partition).Committable;
        }
    }

    /// <summary>
    /// Lets the committable offsets move past messages skipped because they were finished before
    /// this assignment. Called after the messages fetched with them were submitted, so none of
    /// those is passed; partitions revoked meanwhile are left alone.
    /// </summary>
    public void PassRestored(List<(PartitionState Partition, long Offset)> skipped)
    {
        lock (_lock)
        {
            foreach (var (partition, offset) in skipped)
            {
                if (partition.AcceptsWork)
                {
                    Offsets(partition).PassRestored(offset);
                }
            }
        }
    }

    /// <summary>Passes messages that belong to another consumer group: never tracked, they count as finished.</summary>
    public void PassOtherGroups(List<(PartitionState Partition, long Offset)> skipped)
    {
        lock (_lock)
        {
            foreach (var (partition, offset) in skipped)
            {
                if (partition.AcceptsWork)
                {
                    Offsets(partition).PassUntracked(offset);
                }
            }
        }
    }

    /// <summary>
    /// Only for <see cref="ReintroducedBugs.RevokeTimeoutCommitsPastRunning"/>: counts every
    /// fetched message below <paramref name="next"/> finished, running or not.
    /// </summary>
    public void PassEverythingBelow(PartitionState partition, long next)
    {
        lock (_lock)
        {
            var offsets = Offsets(partition);
            while (offsets.Pending > 0 && offsets.Committable is { } head && head < next)
            {
                offsets.Complete(head);
            }
        }
    }
}

/// <summary>One thread's finishes held back while it serves a batch (<see cref="Dispatcher.HoldFinishesBack"/>).</summary>
internal sealed class FinishBatch
{
    public bool Open { get; set; }

    public List<(Dispatcher Dispatcher, WorkItem Item)> Items { get; } = [];
}

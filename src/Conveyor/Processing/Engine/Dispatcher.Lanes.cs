using System.Runtime.InteropServices;

namespace Conveyor.Processing.Engine;

/// <summary>
/// The ordering lanes: one message of a lane (a key, or a partition) ready or running at a time,
/// the ones behind it waiting in offset order. Used under the dispatcher's lock.
/// </summary>
/// <remarks>
/// A lane is present while one of its messages is ready or running, and keeps only the last
/// message submitted to it; each message links the one behind it (<see cref="WorkItem.NextInLane"/>).
/// Moving a lane on reads the message that held it, which its worker just ran, rather than
/// looking the lane up: with a backlog, most lanes have messages waiting, and a look-up and a
/// queue per lane cost a worker more under this lock than the rest of its message's end. Nothing
/// is kept for a lane once its messages are done, however many keys came.
/// </remarks>
internal sealed partial class Dispatcher
{
    private readonly Dictionary<LaneKey, WorkItem> _busyLanes = [];

    /// <summary>Lanes with a message ready or running now (tests).</summary>
    internal int BusyLanes
    {
        get
        {
            lock (_lock)
            {
                return _busyLanes.Count;
            }
        }
    }

    /// <summary>Whether a submitted message may be ready now: it has no lane, or takes its free lane; else it waits behind the lane's last message.</summary>
    private bool TakeLaneLocked(WorkItem item)
    {
        if (item.Lane.IsNone)
        {
            return true;
        }

        // One lookup: the lane's last message, added when the lane was free.
        ref var last = ref CollectionsMarshal.GetValueRefOrAddDefault(_busyLanes, item.Lane, out var busy);
        if (busy)
        {
            last!.NextInLane = item;
        }

        last = item;
        return !busy;
    }

    /// <summary>The lane of <paramref name="holder"/> (its ready or running message) goes to the next message behind it that its partition still takes; it is freed when none is left.</summary>
    private void AdvanceLaneLocked(WorkItem holder)
    {
        // Runs keep no lanes: a partition's run is its lane.
        if (holder.Lane.IsNone || _runs is not null)
        {
            return;
        }

        var next = TakeFollower(holder);
        while (next is not null)
        {
            if (next.Partition.AcceptsWork)
            {
                // The next message holds the lane now; the ones behind it stay linked to it.
                _ready.Add(next);
                return;
            }

            ReleaseLocked(next);
            next = TakeFollower(next);
        }

        if (!_busyLanes.Remove(holder.Lane))
        {
            throw new KeyNotFoundException("A lane moved on that was not busy.");
        }
    }

    /// <summary>Frees the lane of <paramref name="holder"/> (its ready or running message), dropping the messages behind it: they are fetched again with it.</summary>
    private void DropLaneLocked(WorkItem holder)
    {
        // Runs keep no lanes: a partition's run is its lane.
        if (holder.Lane.IsNone || _runs is not null)
        {
            return;
        }

        for (var next = TakeFollower(holder); next is not null; next = TakeFollower(next))
        {
            ReleaseLocked(next);
        }

        if (!_busyLanes.Remove(holder.Lane))
        {
            throw new KeyNotFoundException("A lane was dropped that was not busy.");
        }
    }

    /// <summary>The message behind <paramref name="item"/> in its lane, unlinked: a message that left its lane keeps nothing of it alive.</summary>
    private static WorkItem? TakeFollower(WorkItem item)
    {
        var next = item.NextInLane;
        item.NextInLane = null;
        return next;
    }
}

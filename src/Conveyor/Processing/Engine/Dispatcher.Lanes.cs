using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Conveyor.Processing.Engine;

/// <summary>
/// The ordering lanes: one message of a lane (a key, or a partition) ready or running at a time,
/// the ones behind it queued in offset order. Used under the dispatcher's lock.
/// </summary>
internal sealed partial class Dispatcher
{
    /// <summary>Emptied lane queues kept for reuse; beyond these they are left to the collector.</summary>
    internal const int MaxSpareQueues = 256;

    // A lane is present while one of its messages is ready or running; the queue holds the ones
    // behind it, and is there only while some are (with many keys most lanes never have one).
    // Emptied queues are kept for reuse, at most MaxSpareQueues of them: what the dispatcher keeps
    // after a burst of distinct keys does not grow with the number of keys.
    private readonly Dictionary<LaneKey, Queue<WorkItem>?> _busyLanes = [];
    private readonly Stack<Queue<WorkItem>> _spareQueues = new();

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

    /// <summary>Emptied lane queues kept for reuse (tests).</summary>
    internal int SpareLaneQueues
    {
        get
        {
            lock (_lock)
            {
                return _spareQueues.Count;
            }
        }
    }

    /// <summary>Whether a submitted message may be ready now: it has no lane, or takes its free lane; else it waits behind the lane's running message.</summary>
    private bool TakeLaneLocked(WorkItem item)
    {
        if (item.Lane.IsNone)
        {
            return true;
        }

        // One lookup: the lane's entry, added (with no queue) when the lane was free.
        ref var waiting = ref CollectionsMarshal.GetValueRefOrAddDefault(_busyLanes, item.Lane, out var busy);
        if (!busy)
        {
            return true;
        }

        (waiting ??= _spareQueues.TryPop(out var spare) ? spare : new Queue<WorkItem>()).Enqueue(item);
        return false;
    }

    private void AdvanceLaneLocked(LaneKey lane)
    {
        // Runs keep no lanes: a partition's run is its lane.
        if (lane.IsNone || _runs is not null)
        {
            return;
        }

        ref var waiting = ref CollectionsMarshal.GetValueRefOrNullRef(_busyLanes, lane);
        if (Unsafe.IsNullRef(ref waiting))
        {
            throw new KeyNotFoundException("A lane moved on that was not busy.");
        }

        while (waiting is not null && waiting.TryDequeue(out var next))
        {
            if (next.Partition.AcceptsWork)
            {
                // The next message holds the lane now; its queue goes back once nothing waits in it.
                _ready.Add(next);
                if (waiting.Count == 0)
                {
                    Spare(waiting);
                    waiting = null;
                }

                return;
            }

            ReleaseLocked(next);
        }

        if (waiting is not null)
        {
            Spare(waiting);
        }

        _busyLanes.Remove(lane);
    }

    private void DropLaneLocked(LaneKey lane)
    {
        // Runs keep no lanes: a partition's run is its lane.
        if (lane.IsNone || _runs is not null)
        {
            return;
        }

        if (!_busyLanes.Remove(lane, out var waiting))
        {
            throw new KeyNotFoundException("A lane was dropped that was not busy.");
        }

        if (waiting is not null)
        {
            while (waiting.TryDequeue(out var next))
            {
                ReleaseLocked(next);
            }

            Spare(waiting);
        }
    }

    /// <summary>Keeps an emptied lane queue for the next lane that needs one, up to <see cref="MaxSpareQueues"/>.</summary>
    private void Spare(Queue<WorkItem> queue)
    {
        if (_spareQueues.Count < MaxSpareQueues)
        {
            _spareQueues.Push(queue);
        }
    }
}

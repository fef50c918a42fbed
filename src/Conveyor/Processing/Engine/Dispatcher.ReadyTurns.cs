using System.Diagnostics.CodeAnalysis;

namespace Conveyor.Processing.Engine;

/// <summary>The ready messages, served partition by partition in turn.</summary>
internal sealed partial class Dispatcher
{
    /// <summary>
    /// The partitions that have ready messages, in turn: each take serves the partition whose turn
    /// it is and puts it back last while it has more. A fetch brings thousands of messages of one
    /// partition at a time (a real broker returns up to <c>max.partition.fetch.bytes</c> of each),
    /// so a single first-in-first-out queue would give every worker to that partition until its
    /// fetch is done while the others wait; in turn, a partition with ready messages waits for at
    /// most one take per other such partition. Each partition keeps its own ready queue
    /// (<see cref="WritableWork"/>), linked here through its <see cref="WritableWork.NextInTurn"/>,
    /// so a take allocates nothing. Used under the dispatcher's lock.
    /// </summary>
    private sealed class ReadyTurns
    {
        private WritableWork? _first;
        private WritableWork? _last;

        public void Add(WorkItem item)
        {
            var work = Writable(item.Partition);
            work.AddReady(item);
            if (!work.InTurn)
            {
                Append(work);
            }
        }

        /// <summary>The next ready message of the partition whose turn it is; false when none is ready.</summary>
        public bool TryTake([MaybeNullWhen(false)] out WorkItem item)
        {
            while (_first is { } work)
            {
                _first = work.NextInTurn;
                work.NextInTurn = null;
                if (_first is null)
                {
                    _last = null;
                }

                // A partition emptied by a drain or a stop leaves its turn here, when it comes.
                if (work.TryTakeReady(out item))
                {
                    if (work.Waiting > 0)
                    {
                        Append(work);
                    }
                    else
                    {
                        work.InTurn = false;
                    }

                    return true;
                }

                work.InTurn = false;
            }

            item = null;
            return false;
        }

        private void Append(WritableWork work)
        {
            work.InTurn = true;
            if (_last is null)
            {
                _first = work;
            }
            else
            {
                _last.NextInTurn = work;
            }

            _last = work;
        }
    }
}

using System.Diagnostics.CodeAnalysis;
using Conveyor.Processing.Batching;

namespace Conveyor.Processing.Engine;

/// <summary>The ready messages, served partition by partition in turn: one message per take, or one partition's run per take (batches).</summary>
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

        /// <summary>
        /// A failed message whose back-off is over: ahead of its partition's fresh ready messages,
        /// since it is (nearly always) the partition's lowest unfinished offset and holds its commit
        /// back. At the back, it waited for everything of its partition fetched meanwhile: with a
        /// slow downstream that was 16-21 s without a commit (the simulator's large seeds 355 and
        /// 378), and on a real broker it is the partition's whole buffer.
        /// </summary>
        public void AddAhead(WorkItem item)
        {
            var work = Writable(item.Partition);
            work.HandBack(item);
            if (!work.InTurn)
            {
                Append(work);
            }
        }

        /// <summary>Runs only: a ready message, stamped for the batch wait; its partition waits for its turn unless a run of it is on.</summary>
        public void Add(WorkItem item, long now)
        {
            var work = Writable(item.Partition);
            work.AddReady(item, now);
            Return(work);
        }

        /// <summary>Runs only: a partition whose run is over, or that got messages, takes its turn again (last) while it has ready messages.</summary>
        public void Return(WritableWork work)
        {
            if (!work.InTurn && !work.RunActive && work.Waiting > 0)
            {
                Append(work);
            }
        }

        /// <summary>
        /// Runs only: the run of the first partition in turn whose run is due (full by count or
        /// bytes, or its oldest message waited <see cref="BatchOptions.MaxWait"/>); that partition
        /// leaves the turns until its run is over, so a partition runs one run at a time and the
        /// others get the next takes. Partitions not yet due keep their places.
        /// </summary>
        /// <param name="run">Filled with the run, in offset order.</param>
        /// <param name="limits">The batch bounds.</param>
        /// <param name="now">The time (<see cref="EngineRuntime.Time"/> timestamps).</param>
        /// <param name="maxWait">The batch wait in those ticks.</param>
        /// <param name="nextDue">When none is due: when the first will be; <see cref="long.MaxValue"/> when none waits.</param>
        public bool TryTakeRun(List<WorkItem> run, BatchOptions limits, long now, long maxWait, out long nextDue)
        {
            nextDue = long.MaxValue;
            WritableWork? previous = null;
            var work = _first;
            while (work is not null)
            {
                var next = work.NextInTurn;

                // A partition emptied by a drain or a stop leaves its turn here.
                if (work.Waiting == 0 || work.RunActive)
                {
                    Unlink(previous, work);
                    work = next;
                    continue;
                }

                var due = work.DueAt(maxWait);
                if (work.Waiting >= limits.MaxMessages || work.ReadyBytes >= limits.MaxBytes || due <= now)
                {
                    Unlink(previous, work);
                    work.TakeRun(run, limits);
                    work.RunActive = true;
                    return true;
                }

                nextDue = Math.Min(nextDue, due);
                previous = work;
                work = next;
            }

            return false;
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

        private void Unlink(WritableWork? previous, WritableWork work)
        {
            if (previous is null)
            {
                _first = work.NextInTurn;
            }
            else
            {
                previous.NextInTurn = work.NextInTurn;
            }

            if (_last == work)
            {
                _last = previous;
            }

            work.NextInTurn = null;
            work.InTurn = false;
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

using System.Diagnostics.CodeAnalysis;
using Conveyor.Processing.Batching;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Batches as a way of taking work: a take hands a worker a run of one partition's ready messages,
/// in offset order, up to <see cref="BatchOptions.MaxMessages"/> and <see cref="BatchOptions.MaxBytes"/>,
/// once the run is full or its oldest message waited <see cref="BatchOptions.MaxWait"/>. A partition
/// runs one run at a time (its runs are its ordering lane), and leaves the turns while it does, so
/// the next takes serve the other partitions. Every message is still tracked, finished and failed on
/// its own: a run never passes a message that is not finished.
/// </summary>
internal sealed partial class Dispatcher
{
    private readonly BatchOptions? _runs;
    private readonly long _maxWait;

    // Wakes idle workers when the first partition's batch wait ends; armed only while workers are idle.
    private ITimer? _due;
    private long _dueArmedFor = long.MaxValue;

    /// <param name="runs">Hand out runs of one partition bounded by these (a batch processor); null: one message per take.</param>
    /// <param name="runtime">The engine's time, waits and wake-ups; the system's when null.</param>
    public Dispatcher(BatchOptions? runs = null, EngineRuntime? runtime = null)
    {
        _runs = runs;
        Runtime = runtime ?? EngineRuntime.Default;
        if (runs is not null)
        {
            var seconds = runs.MaxWait.TotalSeconds;
            var frequency = Runtime.Time.TimestampFrequency; // the system's: Stopwatch's; a simulator's: its own clock
            _maxWait = seconds * frequency >= long.MaxValue / 2 ? long.MaxValue / 2 : (long)(seconds * frequency);
        }
    }

    /// <summary>
    /// Marks a taken run running; false (and the run dropped) when its partition takes no more work.
    /// The messages are fetched again by whoever owns the partition next.
    /// </summary>
    public bool TryStartRun(List<WorkItem> run)
    {
        lock (_lock)
        {
            var work = Writable(run[0].Partition);
            if (!work.AcceptsWork)
            {
                run.ForEach(ReleaseLocked);
                work.RunActive = false;
                return false;
            }

            foreach (var _ in run)
            {
                work.Start();
            }

            return true;
        }
    }

    /// <summary>
    /// A run's handler call is over. Its first <paramref name="finished"/> messages are finished.
    /// With no <paramref name="failed"/> outcome the ones after them go back to the head of the
    /// partition's queue (they were cut off before a message that cannot be read). Otherwise the
    /// next message failed with that outcome (see <see cref="MessageExecutor{TKey, TValue}"/>'s
    /// rules, as for a single message): <see cref="ExecutionOutcome.RetryLater"/> keeps the run on
    /// (nothing else of the partition starts) until <see cref="Resume"/> brings it back;
    /// <see cref="ExecutionOutcome.Finished"/> (dead-lettered) lets the rest go back to the head;
    /// any other outcome leaves it unfinished, and the partition runs nothing past it: the rest and
    /// its ready messages are dropped, to be fetched again.
    /// </summary>
    public void EndRun(List<WorkItem> run, int finished, ExecutionOutcome? failed)
    {
        lock (_lock)
        {
            var partition = run[0].Partition;
            var work = Writable(partition);
            for (var i = 0; i < finished; i++)
            {
                EndLocked(run[i], finished: true);
            }

            var rest = finished;
            if (failed is { } outcome)
            {
                rest++;
                EndLocked(run[finished], outcome == ExecutionOutcome.Finished, release: outcome != ExecutionOutcome.RetryLater);
            }

            var handBack = failed is null or ExecutionOutcome.Finished or ExecutionOutcome.RetryLater;
            for (var i = run.Count - 1; i >= rest; i--)
            {
                work.End();
                if (handBack && work.AcceptsWork)
                {
                    work.HandBack(run[i]);
                }
                else
                {
                    ReleaseLocked(run[i]);
                }
            }

            if (!handBack)
            {
                DropReadyLocked(partition);
            }

            if (failed != ExecutionOutcome.RetryLater)
            {
                work.RunActive = false;
                _ready.Return(work);
            }

            WakeLocked();
        }
    }

    /// <summary>A run's failed message waited out its back-off (see <see cref="Resume"/>): it goes first in the partition's next run.</summary>
    private bool ResumeRunLocked(WorkItem item, bool drop)
    {
        var work = Writable(item.Partition);
        work.RunActive = false;
        if (drop || !work.AcceptsWork)
        {
            // Nothing runs past it: what waits behind it is fetched again with it.
            ReleaseLocked(item);
            DropReadyLocked(item.Partition);
            return false;
        }

        work.HandBack(item);
        _ready.Return(work);
        WakeLocked();
        return true;
    }

    private void EndLocked(WorkItem item, bool finished, bool release = true)
    {
        if (finished && !item.Partition.Closed)
        {
            Offsets(item.Partition).Complete(item.Offset);
        }

        if (release)
        {
            ReleaseLocked(item);
        }

        Writable(item.Partition).End();
    }

    private bool TryTakeRunLocked(List<WorkItem> run, [MaybeNullWhen(false)] out WorkItem first)
    {
        run.Clear();
        if (_ready.TryTakeRun(run, _runs!, Runtime.Time.GetTimestamp(), _maxWait, out var nextDue))
        {
            first = run[0];
            return true;
        }

        ArmLocked(nextDue);
        first = null;
        return false;
    }

    /// <summary>Hands due runs to idle workers, in the partitions' turns.</summary>
    private void WakeForRunsLocked()
    {
        while (HasSlotLocked && _idle.TryPeek(out var waiter) && TryTakeRunLocked(waiter.Run, out var first))
        {
            TakenLocked();
            _idle.Pop().Complete(first);
        }
    }

    /// <summary>Wakes the idle workers when the first waiting run is due (only the earliest time is kept armed).</summary>
    private void ArmLocked(long nextDue)
    {
        if (nextDue == long.MaxValue || nextDue >= _dueArmedFor || _completed)
        {
            return;
        }

        _dueArmedFor = nextDue;
        _due ??= Runtime.Time.CreateTimer(_ => OnDue(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        var wait = Runtime.Time.GetElapsedTime(Runtime.Time.GetTimestamp(), nextDue);
        _due.Change(wait > TimeSpan.Zero ? wait + TimeSpan.FromMilliseconds(1) : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private void OnDue()
    {
        lock (_lock)
        {
            _dueArmedFor = long.MaxValue;
            if (!_completed)
            {
                WakeLocked();
            }
        }
    }
}

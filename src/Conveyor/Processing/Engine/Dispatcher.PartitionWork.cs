using System.Diagnostics.CodeAnalysis;
using Conveyor.Processing.Batching;
using Conveyor.Processing.Completions;
using Conveyor.Processing.Offsets;

namespace Conveyor.Processing.Engine;

/// <summary>The dispatcher's part of each partition's state.</summary>
internal sealed partial class Dispatcher
{
    /// <summary>A new partition's dispatcher part, for <see cref="PartitionState"/>; <paramref name="restored"/> counts as finished.</summary>
    public static PartitionWork NewWork(CompletionMap restored) => new WritableWork(restored);

    private static WritableWork Writable(PartitionState partition) => (WritableWork)partition.Work;

    /// <summary>The partition's offset tracker: only the dispatcher reaches it, under its lock.</summary>
    private static PartitionOffsetTracker Offsets(PartitionState partition) => Writable(partition).Offsets;

    /// <summary>
    /// A partition's buffer counts and lifecycle as the dispatcher keeps them. Anyone may read
    /// them; only the <see cref="Dispatcher"/> writes them, under its lock: the writable kind,
    /// <see cref="WritableWork"/>, is private to it. The poll thread reads some without the lock,
    /// where a value a moment old will do (figures, back-pressure estimates, skipping a partition
    /// that takes no more work; the dispatcher checks again under the lock).
    /// </summary>
    public abstract class PartitionWork
    {
        private protected PartitionWork()
        {
        }

        /// <summary>Fetched messages not yet finished or dropped.</summary>
        public int Buffered { get; private protected set; }

        public long BufferedBytes { get; private protected set; }

        /// <summary>Handlers running now.</summary>
        public int Running { get; private protected set; }

        /// <summary>Messages ready to run that wait for a worker, in the partition's turn (not those waiting behind their lane).</summary>
        public int Waiting { get; private protected set; }

        /// <summary>Being revoked or stopped: nothing more starts, running handlers finish and still count.</summary>
        public bool Draining { get; private protected set; }

        /// <summary>Revoked (and committed) or lost: finished work no longer counts.</summary>
        public bool Closed { get; private protected set; }

        /// <summary>A message failed for good with <see cref="FailureAction.StopPartition"/>: nothing more starts.</summary>
        public bool Stopped { get; private protected set; }

        public bool AcceptsWork => !Draining && !Closed && !Stopped;
    }

    /// <summary>The only writer of <see cref="PartitionWork"/>; every method is called under the dispatcher's lock.</summary>
    private sealed class WritableWork(CompletionMap restored) : PartitionWork
    {
        /// <summary>Its ready messages, in the order they became ready; served one per turn (<see cref="ReadyTurns"/>).</summary>
        private readonly Queue<WorkItem> _ready = new();

        /// <summary>Runs only: when each of <see cref="_ready"/> became ready (<see cref="EngineRuntime.Time"/> timestamps), for the batch wait.</summary>
        private Queue<long>? _readyAt;

        /// <summary>
        /// Messages served before <see cref="_ready"/>, lowest offset first: a failed message whose
        /// back-off is over, and (runs only) the messages of a run handed back after a failure.
        /// </summary>
        private PriorityQueue<WorkItem, long>? _again;

        /// <summary>Completes when <see cref="PartitionWork.Running"/> reaches zero after a drain was asked for.</summary>
        private TaskCompletionSource? _drained;

        /// <summary>The fetched offsets and which finished.</summary>
        public PartitionOffsetTracker Offsets { get; } = new(restored);

        /// <summary>In the <see cref="ReadyTurns"/> now (its turn may come with nothing left to serve).</summary>
        public bool InTurn { get; set; }

        /// <summary>The partition whose turn comes after this one's.</summary>
        public WritableWork? NextInTurn { get; set; }

        /// <summary>Runs only: a run of this partition is taken and not yet over (running, or its failed message waiting out a back-off); no other starts.</summary>
        public bool RunActive { get; set; }

        /// <summary>Bytes of the ready messages.</summary>
        public long ReadyBytes { get; private set; }

        public void AddReady(WorkItem item)
        {
            _ready.Enqueue(item);
            Waiting++;
            ReadyBytes += item.Size;
        }

        /// <summary>Runs only: a ready message and when it became ready.</summary>
        public void AddReady(WorkItem item, long at)
        {
            AddReady(item);
            (_readyAt ??= new Queue<long>()).Enqueue(at);
        }

        /// <summary>
        /// A message goes back ahead of the fresh ready ones, lowest offset first: a failed message
        /// whose back-off is over (it holds the partition's commit back, so it must not wait behind
        /// everything fetched meanwhile), or a message of a run, ready at once (it waited for its batch already).
        /// </summary>
        public void HandBack(WorkItem item)
        {
            (_again ??= new PriorityQueue<WorkItem, long>()).Enqueue(item, item.Offset);
            Waiting++;
            ReadyBytes += item.Size;
        }

        public bool TryTakeReady([MaybeNullWhen(false)] out WorkItem item)
        {
            if (_again is { Count: > 0 })
            {
                item = _again.Dequeue();
            }
            else if (_ready.TryDequeue(out item))
            {
                _readyAt?.TryDequeue(out _);
            }
            else
            {
                return false;
            }

            Waiting--;
            ReadyBytes -= item.Size;
            return true;
        }

        /// <summary>
        /// Runs only: when its next run is due (<see cref="EngineRuntime.Time"/> timestamps), the oldest ready
        /// message's time plus <paramref name="maxWait"/>; at once for messages handed back.
        /// </summary>
        public long DueAt(long maxWait) =>
            _again is { Count: > 0 } || _readyAt is null || !_readyAt.TryPeek(out var oldest) ? long.MinValue : oldest + Math.Min(maxWait, long.MaxValue - oldest);

        /// <summary>Runs only: takes the ready messages in order into <paramref name="run"/>, up to the batch's count and bytes (one message at least).</summary>
        public void TakeRun(List<WorkItem> run, BatchOptions limits)
        {
            long bytes = 0;
            while (run.Count < limits.MaxMessages && TryPeekReady(out var next) && (run.Count == 0 || bytes + next.Size <= limits.MaxBytes))
            {
                TryTakeReady(out _);
                run.Add(next);
                bytes += next.Size;
            }
        }

        private bool TryPeekReady([MaybeNullWhen(false)] out WorkItem item) =>
            _again is { Count: > 0 } ? _again.TryPeek(out item, out _) : _ready.TryPeek(out item);

        public void Buffer(int size)
        {
            Buffered++;
            BufferedBytes += size;
        }

        public void Unbuffer(int size)
        {
            Buffered--;
            BufferedBytes -= size;
        }

        public void Start() => Running++;

        /// <summary>A handler stopped running (finished, or suspended for a retry); completes a drain waiting for the last one.</summary>
        public void End()
        {
            Running--;
            if (Running == 0)
            {
                _drained?.TrySetResult();
            }
        }

        /// <summary>Starts nothing more; returns what completes when the running handlers are done, or null when none runs.</summary>
        public Task? Drain(TaskCreationOptions completion)
        {
            Draining = true;
            if (Running == 0)
            {
                return null;
            }

            _drained ??= new TaskCompletionSource(completion);
            return _drained.Task;
        }

        public void Close()
        {
            Draining = true;
            Closed = true;
        }

        public void Stop() => Stopped = true;
    }
}

using System.Diagnostics.CodeAnalysis;
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

        /// <summary>Completes when <see cref="PartitionWork.Running"/> reaches zero after a drain was asked for.</summary>
        private TaskCompletionSource? _drained;

        /// <summary>The fetched offsets and which finished.</summary>
        public PartitionOffsetTracker Offsets { get; } = new(restored);

        /// <summary>In the <see cref="ReadyTurns"/> now (its turn may come with nothing left to serve).</summary>
        public bool InTurn { get; set; }

        /// <summary>The partition whose turn comes after this one's.</summary>
        public WritableWork? NextInTurn { get; set; }

        public void AddReady(WorkItem item)
        {
            _ready.Enqueue(item);
            Waiting++;
        }

        public bool TryTakeReady([MaybeNullWhen(false)] out WorkItem item)
        {
            if (!_ready.TryDequeue(out item))
            {
                return false;
            }

            Waiting--;
            return true;
        }

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
        public Task? Drain()
        {
            Draining = true;
            if (Running == 0)
            {
                return null;
            }

            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
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

using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>A fetched message on its way through the engine.</summary>
internal sealed class WorkItem
{
    public WorkItem(ConsumeResult<byte[]?, byte[]?> result, PartitionState partition, LaneKey lane)
    {
        Result = result;
        Partition = partition;
        Lane = lane;
        Size = (result.Message.Key?.Length ?? 0) + (result.Message.Value?.Length ?? 0);
        Attempts = partition.Attempts.Of(result.Offset.Value); // exactly-once: its failed calls before an abort's rewind
    }

    public ConsumeResult<byte[]?, byte[]?> Result { get; }

    public PartitionState Partition { get; }

    public LaneKey Lane { get; }

    public long Offset => Result.Offset.Value;

    /// <summary>
    /// Bytes of its key and value, counted once when it was fetched: the dispatcher reads it under
    /// its lock four to six times in a message's life, and reading the lengths there meant four
    /// dependent loads from the fetched message each time, long out of the cache by then.
    /// </summary>
    public int Size { get; }

    /// <summary>Handler calls that failed so far (the worker's flow only).</summary>
    public int Attempts { get; set; }

    /// <summary>Exactly-once: it wrote into the open transaction and holds the commit gate until the worker lets go once it is finished (the worker's flow only; <see cref="Transactions.TransactionGate"/>).</summary>
    public bool HoldsGate { get; set; }

    /// <summary>Its lane was given to the next message when it handed its work off (under the dispatcher's lock).</summary>
    public bool LaneReleased { get; set; }

    /// <summary>The message submitted after it to its lane, which waits for it to end; the lanes link their waiting messages so (<c>Dispatcher.Lanes.cs</c>, under the dispatcher's lock).</summary>
    public WorkItem? NextInLane { get; set; }
}

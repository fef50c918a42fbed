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
        Attempts = partition.Attempts.Of(result.Offset.Value); // exactly-once: its failed calls before an abort's rewind
    }

    public ConsumeResult<byte[]?, byte[]?> Result { get; }

    public PartitionState Partition { get; }

    public LaneKey Lane { get; }

    public long Offset => Result.Offset.Value;

    /// <summary>Bytes of its key and value, read from them rather than kept: one field less on every message.</summary>
    public int Size => (Result.Message.Key?.Length ?? 0) + (Result.Message.Value?.Length ?? 0);

    /// <summary>Handler calls that failed so far (the worker's flow only).</summary>
    public int Attempts { get; set; }

    /// <summary>Exactly-once: it wrote into the open transaction and holds the commit gate until the worker lets go once it is finished (the worker's flow only; <see cref="Transactions.TransactionGate"/>).</summary>
    public bool HoldsGate { get; set; }

    /// <summary>Its lane was given to the next message when it handed its work off (under the dispatcher's lock).</summary>
    public bool LaneReleased { get; set; }
}

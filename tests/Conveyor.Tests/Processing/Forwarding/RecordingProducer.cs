using Confluent.Kafka;
using Conveyor.TestSupport.Doubles;

namespace Conveyor.Tests.Processing.Forwarding;

/// <summary>
/// A producer that keeps each record's destination, key and handler until the test acknowledges
/// it (<see cref="Acknowledge"/>), on the test's thread. Its storage is allocated up front so that
/// what a test measures on its thread is the caller's allocations only.
/// </summary>
internal sealed class RecordingProducer : ProducerDouble
{
    private readonly (TopicPartition Destination, byte[]? Key, Action<DeliveryReport<byte[]?, byte[]?>> Delivered)[] _records;
    private readonly DeliveryReport<byte[]?, byte[]?> _report = new();
    private readonly Error _acknowledged = new(ErrorCode.NoError);
    private int _calls;

    public RecordingProducer(int capacity) => _records = new (TopicPartition, byte[]?, Action<DeliveryReport<byte[]?, byte[]?>>)[capacity];

    /// <summary>Records produced and not yet acknowledged.</summary>
    public int Count { get; private set; }

    public (TopicPartition Destination, byte[]? Key) this[int index] => (_records[index].Destination, _records[index].Key);

    /// <summary>Acknowledges the record at <paramref name="index"/> as written at <paramref name="offset"/> (or failed with <paramref name="error"/>); reuses one report object.</summary>
    public void Acknowledge(int index, long offset, ErrorCode error = ErrorCode.NoError)
    {
        var (destination, _, delivered) = _records[index];
        _report.Topic = destination.Topic;
        _report.Partition = destination.Partition == Partition.Any ? new Partition(0) : destination.Partition;
        _report.Offset = error == ErrorCode.NoError ? offset : Offset.Unset;
        _report.Error = error == ErrorCode.NoError ? _acknowledged : new Error(error);
        delivered(_report);
    }

    /// <summary>Forgets every record produced so far.</summary>
    public void Clear() => Count = 0;

    /// <summary>The produce call of this number (0: the first) throws the exception, as a producer does that cannot read a record; nothing is recorded for it.</summary>
    public (int Call, Exception Exception)? Throws { get; set; }

    public override string Name => "recording";

    public override void Produce(TopicPartition topicPartition, Message<byte[]?, byte[]?> message, Action<DeliveryReport<byte[]?, byte[]?>>? deliveryHandler = null)
    {
        var call = _calls++;
        if (Throws is { } throws && throws.Call == call)
        {
            throw throws.Exception;
        }

        _records[Count++] = (topicPartition, message.Key, deliveryHandler!);
    }
}

using Confluent.Kafka;

namespace Conveyor.Samples;

/// <summary>Per partition, the offset after the last record a sample sent.</summary>
public sealed class SentOffsets
{
    private readonly Dictionary<TopicPartition, long> _ends = [];

    public int Count { get; private set; }

    public IReadOnlyDictionary<TopicPartition, long> Ends => _ends;

    public void Add(TopicPartitionOffset record)
    {
        Count++;
        _ends[record.TopicPartition] = Math.Max(_ends.GetValueOrDefault(record.TopicPartition), record.Offset.Value + 1);
    }
}

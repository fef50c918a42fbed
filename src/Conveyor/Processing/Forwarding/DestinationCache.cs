using System.Collections.Concurrent;
using Confluent.Kafka;

namespace Conveyor.Processing.Forwarding;

/// <summary>
/// The <see cref="TopicPartition"/> each output is produced to, made once per topic and partition
/// rather than per record (the producer reads it and keeps nothing of it). Bounded: past
/// <see cref="MaxTopics"/> topics or <see cref="MaxPartition"/> partitions a new one is made each time.
/// Thread-safe; two threads filling the same entry at once only make one more.
/// </summary>
internal sealed class DestinationCache
{
    internal const int MaxTopics = 1_000;
    internal const int MaxPartition = 10_000;

    private readonly ConcurrentDictionary<string, TopicPartition?[]> _topics = new(StringComparer.Ordinal);

    public TopicPartition For(string topic, int? partition)
    {
        var index = partition is { } p ? p + 1 : 0; // 0: the producer's partitioner chooses
        if (index is < 0 or > MaxPartition + 1)
        {
            return Make(topic, partition);
        }

        if (!_topics.TryGetValue(topic, out var entries))
        {
            if (_topics.Count >= MaxTopics)
            {
                return Make(topic, partition);
            }

            entries = _topics.GetOrAdd(topic, static (_, length) => new TopicPartition?[length], index + 1);
        }

        if (index >= entries.Length)
        {
            var grown = new TopicPartition?[Math.Min(Math.Max(index + 1, entries.Length * 2), MaxPartition + 2)];
            entries.CopyTo(grown, 0);
            _topics[topic] = grown;
            entries = grown;
        }

        return entries[index] ??= Make(topic, partition);
    }

    private static TopicPartition Make(string topic, int? partition) =>
        new(topic, partition is { } p ? new Partition(p) : Partition.Any);
}

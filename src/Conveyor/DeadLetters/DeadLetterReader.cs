using System.Diagnostics;
using Confluent.Kafka;
using Conveyor.Diagnostics;

namespace Conveyor.DeadLetters;

/// <summary>
/// Reads a dead-letter topic by assigning its partitions (no group membership, nothing committed),
/// each from a start offset up to the end offset it had when reading began, so a topic that keeps
/// growing still gives a bounded read.
/// </summary>
internal sealed class DeadLetterReader : IDisposable
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(10);

    /// <summary>A read that gets no record for this long while records are expected has failed.</summary>
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(30);

    private readonly IConsumer<byte[]?, byte[]?> _consumer;

    /// <param name="config">The cluster; its group id is only used to read committed offsets (replay's position): this reader never commits.</param>
    /// <param name="log">Hears librdkafka's log lines; null drops them.</param>
    public DeadLetterReader(ConsumerConfig config, Action<IClient, LogMessage>? log = null)
    {
        config = new ConsumerConfig(new Dictionary<string, string>(config)) { EnableAutoCommit = false, EnableAutoOffsetStore = false };
        _consumer = new ConsumerBuilder<byte[]?, byte[]?>(config)
            .SetLogHandler(log ?? SilentClientLogs.Drop)
            .SetErrorHandler((_, _) => { }) // transient errors are retried by librdkafka; a stall is reported below
            .Build();
    }

    public IConsumer<byte[]?, byte[]?> Consumer => _consumer;

    /// <summary>The earliest and end offsets of a partition.</summary>
    public WatermarkOffsets Watermarks(string topic, int partition) =>
        _consumer.QueryWatermarkOffsets(new TopicPartition(topic, partition), QueryTimeout);

    /// <summary>The group's committed offsets (next to read) of the partitions; null where it has none.</summary>
    public IReadOnlyDictionary<int, long?> Committed(string topic, int partitions) =>
        _consumer.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), QueryTimeout)
            .ToDictionary(c => c.Partition.Value, c => c.Offset.Value >= 0 ? (long?)c.Offset.Value : null);

    /// <summary>Reads every record in [start, end) of each given partition, in offset order per partition.</summary>
    /// <exception cref="DeadLetterReadException">The cluster stops delivering before the ranges are read.</exception>
    public IEnumerable<ConsumeResult<byte[]?, byte[]?>> Read(string topic, IReadOnlyDictionary<int, (long Start, long End)> ranges, CancellationToken cancellationToken)
    {
        var wanted = ranges.Where(r => r.Value.End > r.Value.Start).ToDictionary(r => r.Key, r => r.Value);
        if (wanted.Count == 0)
        {
            yield break;
        }

        _consumer.Assign(wanted.Select(r => new TopicPartitionOffset(topic, r.Key, r.Value.Start)));
        try
        {
            var lastRecord = Stopwatch.GetTimestamp(); // monotonic: a wall-clock step is no stall
            while (wanted.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var record = _consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (record is null || record.IsPartitionEOF)
                {
                    if (Stopwatch.GetElapsedTime(lastRecord) > StallTimeout)
                    {
                        throw new DeadLetterReadException(
                            $"reading {topic} stalled: nothing arrived for {StallTimeout.TotalSeconds:0} s while partitions {string.Join(", ", wanted.Keys)} had records left to read.");
                    }

                    continue;
                }

                lastRecord = Stopwatch.GetTimestamp();
                if (!wanted.TryGetValue(record.Partition.Value, out var range))
                {
                    continue;
                }

                if (record.Offset.Value >= range.End - 1)
                {
                    wanted.Remove(record.Partition.Value);
                    _consumer.Pause([record.TopicPartition]);
                }

                if (record.Offset.Value < range.End)
                {
                    yield return record;
                }
            }
        }
        finally
        {
            _consumer.Unassign();
        }
    }

    public void Dispose()
    {
        _consumer.Close();
        _consumer.Dispose();
    }
}

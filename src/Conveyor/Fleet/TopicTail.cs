using System.Diagnostics;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Diagnostics;

namespace Conveyor.Fleet;

/// <summary>
/// Reads every partition of one topic without joining a consumer group (assigned, never
/// subscribed, nothing committed), so every reader sees every record: first the history up to the
/// end offsets at the start, then whatever comes. One thread at a time.
/// </summary>
internal sealed class TopicTail : IDisposable
{
    private static readonly string[] GroupProperties = ["group.id", "group.protocol", "group.instance.id", "group.remote.assignor", "session.timeout.ms", "heartbeat.interval.ms", "partition.assignment.strategy"];

    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    private readonly Dictionary<TopicPartition, long> _historyEnds;

    private TopicTail(IConsumer<byte[]?, byte[]?> consumer, Dictionary<TopicPartition, long> historyEnds)
    {
        _consumer = consumer;
        _historyEnds = historyEnds;
    }

    /// <summary>
    /// Opens <paramref name="topic"/> from <paramref name="back"/> records before each partition's end
    /// (all of it when null); null when the topic does not exist.
    /// </summary>
    public static TopicTail? Open(KafkaClientProperties client, string topic, long? back, TimeSpan timeout, Action<Error>? onError = null)
    {
        var config = client.ToDictionary([new("enable.auto.commit", "false"), new("enable.auto.offset.store", "false"), new("enable.partition.eof", "false")]);
        foreach (var name in GroupProperties)
        {
            config.Remove(name);
        }

        // Confluent.Kafka refuses a consumer without a group id, though an assigned consumer that
        // commits nothing never joins its group: a name of its own keeps it out of every real group.
        config["group.id"] = $"conveyor-fleet-reader-{Guid.NewGuid():N}";

        int[] partitions;
        using (var admin = new AdminClientBuilder(ConsumerOnlyProperties.Without(client.ToDictionary())).WithoutLogLines().Build())
        {
            var metadata = admin.GetMetadata(topic, timeout).Topics.FirstOrDefault(t => t.Topic == topic);
            if (metadata is null || metadata.Error.IsError || metadata.Partitions.Count == 0)
            {
                return null;
            }

            partitions = [.. metadata.Partitions.Select(p => p.PartitionId)];
        }

        var builder = new ConsumerBuilder<byte[]?, byte[]?>(config).WithoutLogLines();
        if (onError is not null)
        {
            builder.SetErrorHandler((_, e) => onError(e));
        }

        var consumer = builder.Build();
        try
        {
            var ends = new Dictionary<TopicPartition, long>();
            var starts = new List<TopicPartitionOffset>();
            foreach (var partition in partitions)
            {
                var tp = new TopicPartition(topic, partition);
                var marks = consumer.QueryWatermarkOffsets(tp, timeout);
                ends[tp] = marks.High.Value;
                starts.Add(new TopicPartitionOffset(tp, back is { } n ? Math.Max(marks.Low.Value, marks.High.Value - n) : marks.Low.Value));
            }

            consumer.Assign(starts);
            foreach (var start in starts.Where(s => s.Offset.Value >= ends[s.TopicPartition]))
            {
                ends.Remove(start.TopicPartition);
            }

            return new TopicTail(consumer, ends);
        }
        catch
        {
            consumer.Dispose();
            throw;
        }
    }

    /// <summary>The records written before the tail opened, in each partition's order.</summary>
    public List<ConsumeResult<byte[]?, byte[]?>> History(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        ReadTo(_historyEnds, timeout, cancellationToken);

    /// <summary>The records not read yet up to each partition's end now (asked of the cluster), in each partition's order.</summary>
    public List<ConsumeResult<byte[]?, byte[]?>> ReadToEnd(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var ends = new Dictionary<TopicPartition, long>();
        foreach (var partition in _consumer.Assignment)
        {
            var end = _consumer.QueryWatermarkOffsets(partition, timeout).High.Value;
            var at = _consumer.Position(partition).Value;
            if (end > 0 && at < end)
            {
                ends[partition] = end;
            }
        }

        return ReadTo(ends, timeout, cancellationToken);
    }

    private List<ConsumeResult<byte[]?, byte[]?>> ReadTo(Dictionary<TopicPartition, long> ends, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var records = new List<ConsumeResult<byte[]?, byte[]?>>();
        var started = Stopwatch.GetTimestamp(); // monotonic: a wall-clock step must not shorten or stretch the wait
        while (ends.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException($"Reading {string.Join(", ", ends.Keys.Select(k => k.Topic).Distinct())} up to its end took longer than {timeout}.");
            }

            if (_consumer.Consume(TimeSpan.FromMilliseconds(100)) is { } result)
            {
                records.Add(result);
            }

            // By position, not by the last record's offset: transaction markers and compaction leave gaps.
            foreach (var (partition, end) in ends.ToList())
            {
                if (_consumer.Position(partition).Value >= end)
                {
                    ends.Remove(partition);
                }
            }
        }

        return records;
    }

    /// <summary>The next record, waiting up to <paramref name="wait"/>; null when none came.</summary>
    public ConsumeResult<byte[]?, byte[]?>? Next(TimeSpan wait) => _consumer.Consume(wait);

    public void Dispose()
    {
        _consumer.Close();
        _consumer.Dispose();
    }
}

using Confluent.Kafka;
using Conveyor.Lag;

namespace Conveyor.AspNetCore.Dashboard.Model;

/// <summary>
/// Each group's committed and end offsets per partition, read from Kafka with one
/// <see cref="GroupLag"/> per group (kept in a <see cref="ReaderCache{TReader}"/>) and kept for a
/// second, so pages refreshing in several browsers do not each ask the cluster.
/// </summary>
internal sealed class LagBoard(TimeProvider time) : IDisposable
{
    private static readonly TimeSpan KeepFor = TimeSpan.FromSeconds(1);

    private readonly ReaderCache<Entry> _groups = new();

    /// <summary>The processor's partitions with their lag, or why the cluster could not tell.</summary>
    public Task<LagReading> MeasureAsync(ProcessorView processor) =>
        _groups.ReadAsync(processor.GroupId, () => new Entry(new GroupLag(processor.Client, processor.GroupId)), entry => Measure(entry, processor));

    public void Dispose() => _groups.Dispose();

    // One reading at a time per group (the cache's): a caller that waited gets the one just made.
    private LagReading Measure(Entry entry, ProcessorView processor)
    {
        var now = time.GetUtcNow();
        if (entry.Last is { } last && now - last.At < KeepFor)
        {
            return last;
        }

        try
        {
            var partitions = entry.Lag.Measure(entry.Lag.Metadata(), processor.Topics);
            entry.Last = new LagReading(now, partitions, null);
        }
        catch (KafkaException e)
        {
            entry.Last = new LagReading(now, [], processor.Redact(e.Error.Reason));
        }

        return entry.Last;
    }

    private sealed class Entry(GroupLag lag) : IDisposable
    {
        public GroupLag Lag { get; } = lag;

        public LagReading? Last { get; set; }

        public void Dispose() => Lag.Dispose();
    }
}

/// <summary>A group's partitions at one moment.</summary>
/// <param name="At">When they were read.</param>
/// <param name="Partitions">Committed, earliest and end offsets per partition.</param>
/// <param name="Problem">Why the cluster did not answer; null when it did.</param>
internal sealed record LagReading(DateTimeOffset At, IReadOnlyList<PartitionLag> Partitions, string? Problem)
{
    public long Total => Partitions.Sum(p => p.Lag);
}

using Confluent.Kafka;
using Conveyor.Lag;

namespace Conveyor.AspNetCore.Dashboard.Model;

/// <summary>
/// Each group's committed and end offsets per partition, read from Kafka with one
/// <see cref="GroupLag"/> per group and kept for a second, so pages refreshing in several
/// browsers do not each ask the cluster.
/// </summary>
internal sealed class LagBoard : IDisposable
{
    private static readonly TimeSpan KeepFor = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, Entry> _groups = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private bool _disposed;

    public LagBoard(TimeProvider time)
    {
        _time = time;
    }

    /// <summary>The processor's partitions with their lag, or why the cluster could not tell.</summary>
    public Task<LagReading> MeasureAsync(ProcessorView processor) => Task.Run(() => Measure(processor));

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (var entry in _groups.Values)
            {
                entry.Lag.Dispose();
            }

            _groups.Clear();
        }
    }

    private LagReading Measure(ProcessorView processor)
    {
        Entry entry;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_groups.TryGetValue(processor.GroupId, out var found))
            {
                found = new Entry(new GroupLag(processor.Client, processor.GroupId));
                _groups[processor.GroupId] = found;
            }

            entry = found;
        }

        // One reading at a time per group; a caller that waited gets the one just made.
        lock (entry)
        {
            var now = _time.GetUtcNow();
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
    }

    private sealed class Entry(GroupLag lag)
    {
        public GroupLag Lag { get; } = lag;

        public LagReading? Last { get; set; }
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

using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>Reports each owned partition's buffered messages and committable offset to the telemetry, about twice a second. Poll thread only.</summary>
internal sealed class BufferReport(OwnedPartitions partitions, Dispatcher dispatcher, IEngineEvents telemetry)
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private DateTime _due;

    public void Report(DateTime now)
    {
        if (now < _due)
        {
            return;
        }

        _due = now + Interval;
        var committable = new Dictionary<TopicPartition, long>();
        var buffered = new Dictionary<TopicPartition, int>();
        foreach (var partition in partitions.Values)
        {
            buffered[partition.TopicPartition] = partition.Buffered; // a display figure, read without the dispatcher's lock
            if (dispatcher.Committable(partition) is { } offset)
            {
                committable[partition.TopicPartition] = offset;
            }
        }

        telemetry.Buffered(buffered, committable);
    }
}

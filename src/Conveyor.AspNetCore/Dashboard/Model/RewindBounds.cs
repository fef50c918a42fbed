using Confluent.Kafka;
using Conveyor.Diagnostics;
using Conveyor.Fleet;

namespace Conveyor.AspNetCore.Dashboard.Model;

/// <summary>Checks a rewind's offset against the partition's first and end offsets before it is sent, as <c>conveyor control rewind</c> does.</summary>
internal static class RewindBounds
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>What is wrong with the rewind's offset, in one line; null when every partition holds it.</summary>
    public static string? Problem(ClientConfig client, ControlCommand rewind)
    {
        // The group is librdkafka's requirement for a consumer; this one only asks for watermarks.
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig(new Dictionary<string, string>(client)) { GroupId = "conveyor-dashboard", EnableAutoCommit = false }).WithoutLogLines().Build();
        foreach (var partition in rewind.Partitions ?? [])
        {
            var marks = consumer.QueryWatermarkOffsets(new TopicPartition(rewind.Topic, partition), Timeout);
            if (rewind.Offset < marks.Low.Value || rewind.Offset > marks.High.Value)
            {
                return $"offset {rewind.Offset} is outside {rewind.Topic}[{partition}], which holds {marks.Low.Value} to {marks.High.Value}: choose an offset in that range.";
            }
        }

        return null;
    }
}

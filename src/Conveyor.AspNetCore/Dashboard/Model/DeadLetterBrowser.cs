using Confluent.Kafka;
using Conveyor.DeadLetters;

namespace Conveyor.AspNetCore.Dashboard.Model;

/// <summary>
/// Reads dead-letter topics for the pages (the newest <see cref="MaxPerPartition"/> of each
/// partition) and replays a selection of dead letters to their source topics.
/// </summary>
internal static class DeadLetterBrowser
{
    /// <summary>The most dead letters read from one partition for the list.</summary>
    public const int MaxPerPartition = 500;

    // Used only because librdkafka wants a group for a consumer: the reader assigns partitions and never commits.
    private const string ReaderGroup = "conveyor-dashboard";

    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The dead letters of a topic that match the filter, newest last per partition.</summary>
    public static Task<IReadOnlyList<DeadLetter>> ListAsync(DeadLetterTopic topic, DeadLetterFilter filter, CancellationToken cancellationToken) =>
        Task.Run<IReadOnlyList<DeadLetter>>(() =>
        {
            using var reader = Reader(topic);
            var ranges = Partitions(reader, topic.Topic).ToDictionary(p => p, p =>
            {
                var marks = reader.Watermarks(topic.Topic, p);
                return (Math.Max(marks.Low.Value, marks.High.Value - MaxPerPartition), marks.High.Value);
            });
            return [.. reader.Read(topic.Topic, ranges, cancellationToken)
                .Where(DeadLetter.IsDeadLetter)
                .Select(DeadLetter.From)
                .Where(filter.Matches)
                .OrderBy(l => l.Partition)
                .ThenBy(l => l.Offset)];
        }, cancellationToken);

    /// <summary>The dead letters at the given positions; positions outside the partition or holding another kind of record are left out.</summary>
    public static Task<IReadOnlyList<DeadLetter>> FindAsync(DeadLetterTopic topic, IReadOnlyCollection<(int Partition, long Offset)> positions, CancellationToken cancellationToken) =>
        Task.Run<IReadOnlyList<DeadLetter>>(() =>
        {
            using var reader = Reader(topic);
            var partitions = Partitions(reader, topic.Topic).ToHashSet();
            var ranges = new Dictionary<int, (long, long)>();
            foreach (var group in positions.Where(p => partitions.Contains(p.Partition)).GroupBy(p => p.Partition))
            {
                var marks = reader.Watermarks(topic.Topic, group.Key);
                var start = Math.Max(marks.Low.Value, group.Min(p => p.Offset));
                var end = Math.Min(marks.High.Value, group.Max(p => p.Offset) + 1);
                if (end > start)
                {
                    ranges[group.Key] = (start, end);
                }
            }

            var wanted = positions.ToHashSet();
            return [.. reader.Read(topic.Topic, ranges, cancellationToken)
                .Where(r => wanted.Contains((r.Partition.Value, r.Offset.Value)) && DeadLetter.IsDeadLetter(r))
                .Select(DeadLetter.From)];
        }, cancellationToken);

    /// <summary>Sends the dead letters back to their source topics; replay's position (<c>conveyor dlq replay</c>'s group) is not moved.</summary>
    /// <returns>How many were acknowledged, and how many failed (each failure is also in the client's log).</returns>
    public static Task<(int Replayed, int Failed)> ReplayAsync(DeadLetterTopic topic, IReadOnlyList<DeadLetter> letters, CancellationToken cancellationToken) =>
        new DeadLetterReplayer(new ProducerConfig(new Dictionary<string, string>(topic.Client)))
            .ReplayAsync(letters, null, null, (_, _, _) => { }, cancellationToken);

    private static DeadLetterReader Reader(DeadLetterTopic topic) =>
        new(new ConsumerConfig(new Dictionary<string, string>(topic.Client)) { GroupId = ReaderGroup });

    private static IEnumerable<int> Partitions(DeadLetterReader reader, string topic)
    {
        // All topics rather than this one: asking for one topic by name may create it on a broker that auto-creates topics.
        using var admin = new DependentAdminClientBuilder(reader.Consumer.Handle).Build();
        var found = admin.GetMetadata(MetadataTimeout).Topics.FirstOrDefault(t => t.Topic == topic && !t.Error.IsError);
        return found?.Partitions.Select(p => p.PartitionId).Order().ToList() ?? [];
    }
}

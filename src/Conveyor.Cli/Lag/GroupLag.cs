using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Conveyor.Cli.Kafka;

namespace Conveyor.Cli.Lag;

/// <summary>A group's committed offsets against the partitions' end offsets.</summary>
internal sealed class GroupLag : IDisposable
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(10);

    private readonly ClientSettings _settings;
    private readonly string _group;
    private readonly IConsumer<Ignore, Ignore> _consumer;
    private readonly IAdminClient _admin;

    public GroupLag(ClientSettings settings, string group, TextWriter errors)
    {
        _settings = settings;
        _group = group;
        // This consumer never subscribes or commits: it reads the group's committed offsets and the end offsets.
        _consumer = new ConsumerBuilder<Ignore, Ignore>(settings.Consumer(group, autoCommit: false))
            .SetLogHandler(settings.LogTo(errors))
            .SetErrorHandler((_, _) => { })
            .Build();
        _admin = new AdminClientBuilder(settings.Admin()).SetLogHandler(settings.LogTo(errors)).Build();
    }

    /// <summary>One row per partition; <c>Committed</c> is null where the group has committed nothing.</summary>
    public IReadOnlyList<PartitionLag> Measure(Metadata metadata, IReadOnlyList<string> topics)
    {
        var partitions = topics
            .SelectMany(t => Enumerable.Range(0, ClusterProbe.PartitionCount(metadata, t) ?? 0).Select(p => new TopicPartition(t, p)))
            .ToList();
        var committed = _consumer.Committed(partitions, QueryTimeout).ToDictionary(c => c.TopicPartition, c => c.Offset.Value);
        return [.. partitions.Select(tp =>
        {
            var marks = _consumer.QueryWatermarkOffsets(tp, QueryTimeout);
            var at = committed.TryGetValue(tp, out var offset) && offset >= 0 ? offset : (long?)null;
            return new PartitionLag(tp.Topic, tp.Partition.Value, at, marks.Low.Value, marks.High.Value);
        })];
    }

    /// <summary>
    /// The topics the group has committed offsets for (OffsetFetch for all topics), or null when the
    /// cluster does not answer that within the timeout.
    /// </summary>
    public async Task<IReadOnlyList<string>?> CommittedTopicsAsync()
    {
        try
        {
            var result = await _admin.ListConsumerGroupOffsetsAsync(
                [new ConsumerGroupTopicPartitions(_group, null)],
                new ListConsumerGroupOffsetsOptions { RequestTimeout = QueryTimeout }).ConfigureAwait(false);
            return [.. result.SelectMany(g => g.Partitions).Where(p => p.Offset.Value >= 0).Select(p => p.Topic).Distinct().Order(StringComparer.Ordinal)];
        }
        catch (KafkaException)
        {
            return null;
        }
    }

    /// <summary>The group's state and members, or a line saying why the cluster could not tell.</summary>
    public async Task<string> DescribeAsync()
    {
        try
        {
            var result = await _admin.DescribeConsumerGroupsAsync(
                [_group], new DescribeConsumerGroupsOptions { RequestTimeout = TimeSpan.FromSeconds(5) }).ConfigureAwait(false);
            var group = result.ConsumerGroupDescriptions.Single();
            var members = group.Members.Select(m =>
                $"{m.ClientId}@{m.Host} ({string.Join(", ", m.Assignment.TopicPartitions.Select(tp => string.Create(CultureInfo.InvariantCulture, $"{tp.Topic}[{tp.Partition.Value}]")))})");
            return string.Create(CultureInfo.InvariantCulture, $"state {group.State}, {group.Members.Count} member(s){(group.Members.Count > 0 ? ": " : "")}{string.Join("; ", members)}");
        }
        catch (KafkaException e)
        {
            return $"state and members not shown: the cluster at {_settings.BootstrapServers} did not answer DescribeGroups ({e.Error.Reason}); Conveyor's embedded broker does not implement it, a real cluster does";
        }
    }

    public void Dispose()
    {
        _consumer.Dispose();
        _admin.Dispose();
    }
}

/// <summary>One partition's position of a group.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Committed">The group's committed offset (next to read); null when it committed nothing there.</param>
/// <param name="Earliest">The partition's earliest offset.</param>
/// <param name="End">The partition's end offset (high watermark).</param>
internal sealed record PartitionLag(string Topic, int Partition, long? Committed, long Earliest, long End)
{
    /// <summary>Messages not yet committed: from the committed offset (or the earliest, where there is none) to the end.</summary>
    public long Lag => Math.Max(0, End - (Committed ?? Earliest));
}

using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Conveyor.Lag;

/// <summary>
/// A group's committed offsets against the partitions' watermarks, read (and, for an offset
/// reset, committed) without joining the group: the one reader of a group's offsets, for the lag
/// figures, the dashboard and the CLI's offset commands.
/// </summary>
internal sealed class GroupLag : IDisposable
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(10);

    private readonly string _bootstrapServers;
    private readonly string _group;
    private readonly IConsumer<Ignore, Ignore> _consumer;
    private readonly IAdminClient _admin;

    /// <param name="config">The cluster; the group id is set on a copy and nothing is ever committed.</param>
    /// <param name="group">The group whose committed offsets are read.</param>
    /// <param name="log">Hears librdkafka's log lines; null drops them.</param>
    public GroupLag(ClientConfig config, string group, Action<IClient, LogMessage>? log = null)
    {
        _bootstrapServers = config.BootstrapServers;
        _group = group;
        log ??= (_, _) => { };
        // This consumer never subscribes, so it never joins the group: it reads the group's committed
        // offsets and the watermarks, and a commit from it is an administrator's (no member id),
        // which a broker accepts only while the group has no members.
        var consumer = new ConsumerConfig(new Dictionary<string, string>(config)) { GroupId = group, EnableAutoCommit = false };
        _consumer = new ConsumerBuilder<Ignore, Ignore>(consumer)
            .SetLogHandler(log)
            .SetErrorHandler((_, _) => { })
            .Build();
        _admin = new AdminClientBuilder(new AdminClientConfig(new Dictionary<string, string>(config))).SetLogHandler(log).Build();
    }

    /// <summary>The number of partitions of a topic in the metadata; null when it has no such topic.</summary>
    public static int? PartitionCount(Metadata metadata, string topic) =>
        metadata.Topics.FirstOrDefault(t => t.Topic == topic && !t.Error.IsError)?.Partitions.Count;

    /// <summary>The cluster's topics and partitions now.</summary>
    public Metadata Metadata() => _admin.GetMetadata(QueryTimeout);

    /// <summary>One row per partition of the topics; <c>Committed</c> is null where the group has committed nothing.</summary>
    public IReadOnlyList<PartitionLag> Measure(Metadata metadata, IReadOnlyList<string> topics) =>
        Read([.. topics.SelectMany(t => Enumerable.Range(0, PartitionCount(metadata, t) ?? 0).Select(p => new TopicPartition(t, p)))]);

    /// <summary>The given partitions of one topic, in the order given.</summary>
    public IReadOnlyList<PartitionLag> Read(string topic, IReadOnlyList<int> partitions) =>
        Read([.. partitions.Select(p => new TopicPartition(topic, p))]);

    /// <summary>Each partition's first offset at or after <paramref name="time"/> (Kafka's offsets-for-times); null where no message is that late.</summary>
    /// <exception cref="KafkaException">The cluster did not answer the look-up (Conveyor's embedded broker does not implement it).</exception>
    public IReadOnlyDictionary<int, long?> OffsetsAt(string topic, IReadOnlyList<int> partitions, DateTimeOffset time) =>
        _consumer.OffsetsForTimes(partitions.Select(p => new TopicPartitionTimestamp(topic, p, new Timestamp(time))), QueryTimeout)
            .ToDictionary(f => f.Partition.Value, f => f.Offset.Value >= 0 ? f.Offset.Value : (long?)null);

    /// <summary>Commits new offsets for the group, all or none, as an administrator: refused while the group has members.</summary>
    /// <exception cref="KafkaException">The broker refused (a <see cref="TopicPartitionOffsetException"/> names each partition's error).</exception>
    public void Commit(IEnumerable<TopicPartitionOffset> offsets) => _consumer.Commit(offsets);

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

    /// <summary>
    /// The topics the group has committed offsets for, asked for each topic of the metadata by name:
    /// for clusters that answer an OffsetFetch for all topics with none (Conveyor's embedded broker).
    /// </summary>
    public IReadOnlyList<string> CommittedTopicsIn(Metadata metadata)
    {
        var partitions = metadata.Topics
            .Where(t => !t.Error.IsError && !t.Topic.StartsWith("__", StringComparison.Ordinal))
            .SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, p.PartitionId)))
            .ToList();
        return partitions.Count == 0 ? [] : [.. _consumer.Committed(partitions, QueryTimeout)
            .Where(c => c.Offset.Value >= 0)
            .Select(c => c.Topic)
            .Distinct()
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>The group's committed topics: <see cref="CommittedTopicsAsync"/>, else <see cref="CommittedTopicsIn"/>.</summary>
    public async Task<IReadOnlyList<string>> FindCommittedTopicsAsync(Metadata metadata) =>
        await CommittedTopicsAsync().ConfigureAwait(false) is { Count: > 0 } listed ? listed : CommittedTopicsIn(metadata);

    /// <summary>How many members the group has, or why the cluster could not tell (Conveyor's embedded broker does not implement DescribeGroups).</summary>
    public async Task<GroupMembers> MembersAsync()
    {
        try
        {
            return new GroupMembers((await DescribeGroupAsync().ConfigureAwait(false)).Members.Count, null);
        }
        catch (KafkaException e)
        {
            return new GroupMembers(null, DescribeGroupsFailure.Cause(_bootstrapServers, e));
        }
    }

    /// <summary>The group's state and members, or a line saying why the cluster could not tell.</summary>
    public async Task<string> DescribeAsync()
    {
        try
        {
            var group = await DescribeGroupAsync().ConfigureAwait(false);
            var members = group.Members.Select(m =>
                $"{m.ClientId}@{m.Host} ({string.Join(", ", m.Assignment.TopicPartitions.Select(tp => string.Create(CultureInfo.InvariantCulture, $"{tp.Topic}[{tp.Partition.Value}]")))})");
            return string.Create(CultureInfo.InvariantCulture, $"state {group.State}, {group.Members.Count} member(s){(group.Members.Count > 0 ? ": " : "")}{string.Join("; ", members)}");
        }
        catch (KafkaException e)
        {
            return DescribeGroupsFailure.Explain(_bootstrapServers, e);
        }
    }

    public void Dispose()
    {
        _consumer.Dispose();
        _admin.Dispose();
    }

    private IReadOnlyList<PartitionLag> Read(List<TopicPartition> partitions)
    {
        var committed = _consumer.Committed(partitions, QueryTimeout).ToDictionary(c => c.TopicPartition, c => c.Offset.Value);
        return [.. partitions.Select(tp =>
        {
            var marks = _consumer.QueryWatermarkOffsets(tp, QueryTimeout);
            var at = committed.TryGetValue(tp, out var offset) && offset >= 0 ? offset : (long?)null;
            return new PartitionLag(tp.Topic, tp.Partition.Value, at, marks.Low.Value, marks.High.Value);
        })];
    }

    /// <exception cref="KafkaException">The cluster did not answer DescribeGroups.</exception>
    private async Task<ConsumerGroupDescription> DescribeGroupAsync()
    {
        var result = await _admin.DescribeConsumerGroupsAsync(
            [_group], new DescribeConsumerGroupsOptions { RequestTimeout = TimeSpan.FromSeconds(5) }).ConfigureAwait(false);
        return result.ConsumerGroupDescriptions.Single();
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

using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Conveyor.Cli.CommandLine;
using Conveyor.Cli.Kafka;

namespace Conveyor.Cli.Offsets;

/// <summary>
/// A consumer group's offsets on one topic, read and committed without joining the group: its
/// members (DescribeGroups), committed offsets, watermarks, offsets by time, and a commit of new
/// offsets that the broker refuses while the group has members.
/// </summary>
internal sealed class GroupOffsets : IDisposable
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(10);
    private readonly string _group;
    private readonly string _bootstrapServers;
    private readonly IConsumer<Ignore, Ignore> _consumer;
    private readonly IAdminClient _admin;

    public GroupOffsets(ClientSettings settings, string group, TextWriter errors)
    {
        _group = group;
        _bootstrapServers = settings.BootstrapServers;
        // A consumer that never subscribes does not join the group: its commits are an
        // administrator's (no member id), which a broker accepts only while the group has no members.
        _consumer = new ConsumerBuilder<Ignore, Ignore>(settings.Consumer(group, autoCommit: false)).SetLogHandler(settings.LogTo(errors)).Build();
        _admin = new AdminClientBuilder(settings.Admin()).SetLogHandler(settings.LogTo(errors)).Build();
    }

    /// <summary>How many members the group has, or null when the cluster did not answer DescribeGroups (Conveyor's embedded broker does not).</summary>
    public async Task<int?> LiveMembersAsync()
    {
        try
        {
            var result = await _admin.DescribeConsumerGroupsAsync(
                [_group], new DescribeConsumerGroupsOptions { RequestTimeout = TimeSpan.FromSeconds(5) }).ConfigureAwait(false);
            return result.ConsumerGroupDescriptions.Sum(g => g.Members.Count);
        }
        catch (KafkaException)
        {
            return null;
        }
    }

    /// <summary>The group's committed offset and the watermarks of each partition.</summary>
    public IReadOnlyList<PartitionOffsets> Read(string topic, IReadOnlyList<int> partitions)
    {
        var named = partitions.Select(p => new TopicPartition(topic, p)).ToList();
        var committed = _consumer.Committed(named, QueryTimeout).ToDictionary(c => c.Partition.Value, c => c.Offset.Value >= 0 ? c.Offset.Value : (long?)null);
        return [.. named.Select(tp =>
        {
            var marks = _consumer.QueryWatermarkOffsets(tp, QueryTimeout);
            return new PartitionOffsets(tp.Partition.Value, committed.GetValueOrDefault(tp.Partition.Value), marks.Low.Value, marks.High.Value);
        })];
    }

    /// <summary>Each partition's first offset at or after <paramref name="time"/> (Kafka's offsets-for-times); null where no message is that late.</summary>
    /// <exception cref="CommandFailedException">The cluster did not answer the look-up.</exception>
    public IReadOnlyDictionary<int, long?> OffsetsAt(string topic, IReadOnlyList<int> partitions, DateTimeOffset time)
    {
        try
        {
            var found = _consumer.OffsetsForTimes(partitions.Select(p => new TopicPartitionTimestamp(topic, p, new Timestamp(time))), QueryTimeout);
            return found.ToDictionary(f => f.Partition.Value, f => f.Offset.Value >= 0 ? f.Offset.Value : (long?)null);
        }
        catch (KafkaException e)
        {
            throw new CommandFailedException(
                $"the cluster at {_bootstrapServers} did not answer the offset look-up by time ({e.Error.Reason}); nothing changed. "
                + "Conveyor's embedded broker does not implement it; a real Kafka cluster does.");
        }
    }

    /// <summary>Commits the new offsets for the group, all or none.</summary>
    /// <exception cref="CommandFailedException">The broker refused: the group has members, or another reason.</exception>
    public void Commit(string topic, IReadOnlyList<OffsetMove> moves)
    {
        try
        {
            _consumer.Commit(moves.Select(m => new TopicPartitionOffset(topic, m.Partition, m.To)));
        }
        catch (TopicPartitionOffsetException e) when (e.Results.Any(r => IsMembership(r.Error.Code)))
        {
            throw LiveMembers($"the cluster refused the commit: {e.Results.First(r => r.Error.IsError).Error.Reason}");
        }
        catch (KafkaException e) when (IsMembership(e.Error.Code))
        {
            throw LiveMembers($"the cluster refused the commit: {e.Error.Reason}");
        }
        catch (KafkaException e)
        {
            throw new CommandFailedException($"the cluster at {_bootstrapServers} refused the commit for group {_group} ({e.Error.Reason}); check the lines above and run it again.");
        }
    }

    /// <summary>The one answer to a reset of a group that has members.</summary>
    public CommandFailedException LiveMembers(string why) =>
        new($"group {_group} has live members ({why}); nothing changed. Stop them first, or move the running group with {CommandName.Of("control rewind")}.");

    public void Dispose()
    {
        _consumer.Dispose();
        _admin.Dispose();
    }

    // A commit without a member id is refused with these while the group has members.
    private static bool IsMembership(ErrorCode code) =>
        code is ErrorCode.UnknownMemberId or ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration or ErrorCode.FencedInstanceId;
}

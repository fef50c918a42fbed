using Confluent.Kafka;
using Conveyor.Cli.CommandLine;
using Conveyor.Cli.Kafka;
using Conveyor.Lag;

namespace Conveyor.Cli.Offsets;

/// <summary>
/// A consumer group's offsets on one topic for an offset reset, read and committed through the
/// core's <see cref="GroupLag"/> (which never joins the group): its members, committed offsets,
/// watermarks, offsets by time, and a commit of new offsets that the broker refuses while the
/// group has members; each failure as the command's one-line answer.
/// </summary>
internal sealed class GroupOffsets : IDisposable
{
    private readonly string _group;
    private readonly string _bootstrapServers;
    private readonly GroupLag _lag;

    public GroupOffsets(ClientSettings settings, string group, TextWriter errors)
    {
        _group = group;
        _bootstrapServers = settings.BootstrapServers;
        _lag = new GroupLag(settings.Admin(), group, settings.LogTo(errors));
    }

    /// <summary>How many members the group has, or why the cluster could not tell (Conveyor's embedded broker does not implement DescribeGroups).</summary>
    public Task<GroupMembers> MembersAsync() => _lag.MembersAsync();

    /// <summary>The group's committed offset and the watermarks of each partition.</summary>
    public IReadOnlyList<PartitionOffsets> Read(string topic, IReadOnlyList<int> partitions) =>
        [.. _lag.Read(topic, partitions).Select(p => new PartitionOffsets(p.Partition, p.Committed, p.Earliest, p.End))];

    /// <summary>Each partition's first offset at or after <paramref name="time"/> (Kafka's offsets-for-times); null where no message is that late.</summary>
    /// <exception cref="CommandFailedException">The cluster did not answer the look-up.</exception>
    public IReadOnlyDictionary<int, long?> OffsetsAt(string topic, IReadOnlyList<int> partitions, DateTimeOffset time)
    {
        try
        {
            return _lag.OffsetsAt(topic, partitions, time);
        }
        catch (KafkaException e)
        {
            throw new CommandFailedException(
                $"the cluster at {_bootstrapServers} did not answer the offset look-up by time ({e.Error.Reason}); nothing changed. "
                + "Conveyor's embedded broker does not implement it; a real Kafka cluster does.");
        }
    }

    /// <summary>Commits the new offsets for the group, all or none.</summary>
    /// <param name="topic">The topic.</param>
    /// <param name="moves">The new offsets.</param>
    /// <param name="members">What DescribeGroups told of the members, so a refusal says whether they are known or only likely.</param>
    /// <exception cref="CommandFailedException">The broker refused: the group has members, or another reason.</exception>
    public void Commit(string topic, IReadOnlyList<OffsetMove> moves, GroupMembers members)
    {
        try
        {
            _lag.Commit(moves.Select(m => new TopicPartitionOffset(topic, m.Partition, m.To)));
        }
        catch (TopicPartitionOffsetException e) when (e.Results.Any(r => IsMembership(r.Error.Code)))
        {
            throw MembershipRefusal(e.Results.First(r => r.Error.IsError).Error.Reason, members);
        }
        catch (KafkaException e) when (IsMembership(e.Error.Code))
        {
            throw MembershipRefusal(e.Error.Reason, members);
        }
        catch (KafkaException e)
        {
            throw new CommandFailedException($"the cluster at {_bootstrapServers} refused the commit for group {_group} ({e.Error.Reason}); check the lines above and run it again.");
        }
    }

    /// <summary>The one answer to a reset of a group that has members.</summary>
    public CommandFailedException LiveMembers(string why) =>
        new($"group {_group} has live members ({why}); nothing changed. Stop them first, or move the running group with {CommandName.Of("control rewind")}.");

    public void Dispose() => _lag.Dispose();

    // Refused as while the group has members: known to have them only if DescribeGroups said so.
    private CommandFailedException MembershipRefusal(string reason, GroupMembers members) => members.Unknown is { } unknown
        ? new($"the cluster refused the commit for group {_group} as it does while a group has members ({reason}); whether it has any could not be checked: {unknown}. "
            + $"Nothing changed. Stop its members first, or move the running group with {CommandName.Of("control rewind")}.")
        : LiveMembers($"the cluster refused the commit: {reason}");

    // A commit without a member id is refused with these while the group has members.
    private static bool IsMembership(ErrorCode code) =>
        code is ErrorCode.UnknownMemberId or ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration or ErrorCode.FencedInstanceId;
}

using Confluent.Kafka;
using Conveyor.Simulation.Pipelines;

namespace Conveyor.Simulation;

/// <summary>Who owns a partition in the simulated group: a real member's id (1, 2, 3), or one of these.</summary>
internal static class Owner
{
    /// <summary>Nobody yet (eager join and sync, a handover between revoke and assignment, or a killed member's partitions until it is back).</summary>
    public const int None = 0;

    /// <summary>The first real member (the only one in a one-member schedule).</summary>
    public const int Member = 1;

    /// <summary>The modelled other member of a one-member schedule, which handles and commits a few messages a second.</summary>
    public const int Other = -1;

    public static string Describe(int owner) => owner switch
    {
        None => "nobody",
        Other => "the other member",
        _ => $"member {owner}",
    };
}

/// <summary>A rebalance callback a member's consumer runs inside its next <c>Consume</c>.</summary>
internal enum GroupActionKind
{
    Assign,
    Revoke,
    RevokeAll,
    Lose,
}

internal readonly record struct GroupAction(GroupActionKind Kind, int Mask, Action? After = null);

/// <summary>
/// The simulated cluster and group: each partition's log, committed offset and metadata, who owns
/// it, and the commit faults in force (each member keeps its own pending callbacks, <see cref="SimMember"/>).
/// </summary>
internal sealed class SimCluster
{
    public const string Topic = "sim";

    public SimCluster(Schedule schedule)
    {
        Schedule = schedule;
        var main = schedule.Partitions - schedule.RetryTopicPartitions;
        Partitions = [.. Enumerable.Range(0, schedule.Partitions).Select(p => new TopicPartition(RetryLedger.TopicOf(p, main), p))];
        Logs = [.. Enumerable.Range(0, schedule.Partitions).Select(_ => new List<Message<byte[]?, byte[]?>>())];
        Committed = new long[schedule.Partitions];
        Metadata = new string[schedule.Partitions];
        Owners = new int[schedule.Partitions];
        AssignEpochs = new int[schedule.Partitions];
        Array.Fill(Metadata, string.Empty);
        Array.Fill(Owners, Owner.Other);
        for (var p = 0; p < schedule.Partitions; p++)
        {
            Append(p, schedule.InitialMessages[p]);
        }
    }

    public Schedule Schedule { get; }

    public TopicPartition[] Partitions { get; }

    public List<Message<byte[]?, byte[]?>>[] Logs { get; }

    /// <summary>Committed offsets (0: nothing committed, read from the beginning).</summary>
    public long[] Committed { get; }

    public string[] Metadata { get; }

    /// <summary>Each partition's owner (see <see cref="Owner"/>); the group sets it when it decides, before the member hears.</summary>
    public int[] Owners { get; }

    /// <summary>How many times any member was assigned each partition: one assignment's messages keep to its key order.</summary>
    public int[] AssignEpochs { get; }

    /// <summary>An eager rebalance between revoke and assignment.</summary>
    public bool Rebalancing { get; set; }

    /// <summary>Commits are refused while <see cref="Rebalancing"/> (as the embedded broker does; a real one accepts most).</summary>
    public bool RefuseWhileRebalancing { get; set; }

    public int FailingCommits { get; set; }

    public TimeSpan WallOffset { get; set; }

    public long End(int partition) => Logs[partition].Count;

    /// <summary>The main topic's partitions (the rest, on retry-topic schedules, are the retry topics').</summary>
    public int MainMask => (1 << (Partitions.Length - Schedule.RetryTopicPartitions)) - 1;

    public void Append(int partition, int count)
    {
        var log = Logs[partition];
        for (var i = 0; i < count; i++)
        {
            var offset = log.Count;
            log.Add(new Message<byte[]?, byte[]?>
            {
                Key = KeyBytes[(int)((offset * 7 + partition) % KeyBytes.Length)],
                Value = new byte[16],
                Headers = [],
                Timestamp = new Timestamp(SimScheduler.Epoch.UtcDateTime),
            });
        }
    }

    /// <summary>The partitions <paramref name="owner"/> owns.</summary>
    public int MaskOf(int owner)
    {
        var mask = 0;
        for (var p = 0; p < Owners.Length; p++)
        {
            mask |= Owners[p] == owner ? 1 << p : 0;
        }

        return mask;
    }

    private static readonly byte[][] KeyBytes = [[(byte)'a'], [(byte)'b'], [(byte)'c']];
}

using Confluent.Kafka;

namespace Conveyor.Simulation;

/// <summary>Who owns a partition in the simulated group.</summary>
internal enum Owner
{
    /// <summary>Nobody yet (eager join and sync, or a killed member's partitions until it is back).</summary>
    None,

    /// <summary>The engine under test.</summary>
    Member,

    /// <summary>Another member, which handles and commits a few messages a second.</summary>
    Other,
}

/// <summary>A rebalance callback the member's consumer runs inside its next <c>Consume</c>.</summary>
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
/// it, the member's pending rebalance callbacks, and the commit faults in force.
/// </summary>
internal sealed class SimCluster
{
    public const string Topic = "sim";

    public SimCluster(Schedule schedule)
    {
        Schedule = schedule;
        Partitions = [.. Enumerable.Range(0, schedule.Partitions).Select(p => new TopicPartition(Topic, p))];
        Logs = [.. Enumerable.Range(0, schedule.Partitions).Select(_ => new List<Message<byte[]?, byte[]?>>())];
        Committed = new long[schedule.Partitions];
        Metadata = new string[schedule.Partitions];
        Owners = new Owner[schedule.Partitions];
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

    public Owner[] Owners { get; }

    /// <summary>How many times the member was assigned each partition: one assignment's messages keep to its key order.</summary>
    public int[] AssignEpochs { get; }

    public Queue<GroupAction> Pending { get; } = new();

    /// <summary>An eager rebalance between revoke and assignment.</summary>
    public bool Rebalancing { get; set; }

    /// <summary>Commits are refused while <see cref="Rebalancing"/> (as the embedded broker does; a real one accepts most).</summary>
    public bool RefuseWhileRebalancing { get; set; }

    public int FailingCommits { get; set; }

    /// <summary>The member process is dead until <see cref="RestartAt"/>.</summary>
    public bool Killed { get; set; }

    public long RestartAt { get; set; }

    public TimeSpan WallOffset { get; set; }

    public long End(int partition) => Logs[partition].Count;

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

    public int MemberMask()
    {
        var mask = 0;
        for (var p = 0; p < Owners.Length; p++)
        {
            mask |= Owners[p] == Owner.Member ? 1 << p : 0;
        }

        return mask;
    }

    private static readonly byte[][] KeyBytes = [[(byte)'a'], [(byte)'b'], [(byte)'c']];
}

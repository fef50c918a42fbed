using Conveyor.Processing.RetryTopics;

namespace Conveyor.Simulation.Pipelines;

/// <summary>
/// Retry-topic partitions get their turns: while a member starts handlers of other partitions, a
/// retry partition it owns whose next record is due is served (a handler of it starts or ends, or
/// a write of its failure action is acknowledged) within <see cref="Bound"/> of its due time
/// (<c>retry-unfair</c>). The wait starts again when the partition changes hands or its member
/// restarts, since fetching it again from its committed offset is then the group's doing.
/// </summary>
internal sealed class RetryTurns(SimWorld world)
{
    /// <summary>The watchdog's timeout: a due record waiting longer while its member serves others starves.</summary>
    public static readonly TimeSpan Bound = SimEngine.StallTimeout;

    private readonly Dictionary<int, (long At, int Epoch, int Incarnation)> _served = [];

    /// <summary>A handler of the partition started or ended, or a failure-action write of its was acknowledged.</summary>
    public void Served(int partition) => _served[partition] = (world.Scheduler.Now, world.Cluster.AssignEpochs[partition], IncarnationOf(partition));

    /// <summary>A handler of <paramref name="partition"/> starts: every other retry partition of its member must have had its turn.</summary>
    public void Starting(int partition)
    {
        Served(partition);
        var cluster = world.Cluster;
        var owner = cluster.Owners[partition];
        var main = cluster.Partitions.Length - cluster.Schedule.RetryTopicPartitions;
        for (var q = main; q < cluster.Partitions.Length; q++)
        {
            if (q == partition || cluster.Owners[q] != owner || world.Checker.IsStopped(q) || NextUnfinished(q) is not { } next)
            {
                continue;
            }

            if (!_served.TryGetValue(q, out var served) || served.Epoch != cluster.AssignEpochs[q] || served.Incarnation != IncarnationOf(q))
            {
                Served(q);
                continue;
            }

            var dueAt = RetryRoute.DueAt(new Confluent.Kafka.ConsumeResult<byte[]?, byte[]?> { Message = cluster.Logs[q][(int)next] });
            var due = dueAt is { } d ? (d - SimScheduler.Epoch - cluster.WallOffset).Ticks : 0; // the wall clock's due time on the scheduler's
            var wait = TimeSpan.FromTicks(world.Scheduler.Now - Math.Max(served.At, due));
            if (wait > Bound)
            {
                world.Checker.Fail("retry-unfair", $"p{q}@{next} was due and waited {wait.TotalSeconds:F1} s for a turn while p{partition} was served");
            }
        }
    }

    private long? NextUnfinished(int partition)
    {
        for (var offset = world.Cluster.Committed[partition]; offset < world.Cluster.End(partition); offset++)
        {
            if (!world.Checker.IsFinished(partition, offset))
            {
                return offset;
            }
        }

        return null;
    }

    private int IncarnationOf(int partition) => world.Cluster.Owners[partition] is var owner && owner >= 1 && owner <= world.Members.Length ? world.Members[owner - 1].OwnerTag : 0;
}

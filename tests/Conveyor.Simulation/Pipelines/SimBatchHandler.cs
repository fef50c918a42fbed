using Conveyor.Processing;
using Conveyor.Processing.Batching;

namespace Conveyor.Simulation.Pipelines;

/// <summary>
/// A batch processor's handler: one call per run of a partition's messages (the real
/// <see cref="BatchExecutor{TKey, TValue}"/> and the dispatcher's runs). It takes the first
/// message's duration, and fails at the first message whose plan fails (a
/// <see cref="BatchFailedException"/> naming it: those before it are finished, it is retried or
/// dead-lettered, those after it run again). Checks that a partition's runs within one assignment
/// run one at a time, each in offset order, each starting where the last one left off or later
/// (at the failed message after a failure).
/// </summary>
internal sealed class SimBatchHandler(SimWorld world, SimMember member)
{
    private readonly int _incarnation = member.OwnerTag; // this engine's: the member's next incarnation has a handler of its own
    private readonly Dictionary<(int Epoch, int Partition), (long Next, bool Running)> _lanes = [];

    public ValueTask Handle(IReadOnlyList<MessageContext<byte[], byte[]>> batch, CancellationToken cancellationToken)
    {
        var lane = (world.Checker.EpochOf(member.Id, batch[0].Partition, batch[0].Offset), batch[0].Partition);
        CheckRun(lane, batch);
        var seed = world.Cluster.Schedule.Seed;
        var failsAt = -1;
        var duration = TimeSpan.Zero;
        for (var i = 0; i < batch.Count; i++)
        {
            var message = batch[i];
            var (length, fails) = MessagePlan.Handler(seed, message.Partition, message.Offset, message.Attempt, _incarnation * 100);
            duration = i == 0 ? length : duration;
            failsAt = failsAt < 0 && fails ? i : failsAt;
        }

        world.Trace.Add($"batch p{batch[0].Partition}@{batch[0].Offset}..{batch[^1].Offset}: {duration.TotalMilliseconds:F0} ms{(failsAt >= 0 ? $", fails at {batch[failsAt].Offset}" : string.Empty)}");
        if (duration == TimeSpan.Zero)
        {
            return End(lane, batch, failsAt) is { } failure ? ValueTask.FromException(failure) : default;
        }

        var done = new TaskCompletionSource();
        world.Scheduler.After(duration, () =>
        {
            if (End(lane, batch, failsAt) is { } failure)
            {
                done.SetException(failure);
            }
            else
            {
                done.SetResult();
            }
        }, _incarnation);
        return new ValueTask(done.Task);
    }

    /// <summary>The call ends: the messages before the failing one (all, when none fails) are finished.</summary>
    private BatchFailedException? End((int, int) lane, IReadOnlyList<MessageContext<byte[], byte[]>> batch, int failsAt)
    {
        var finished = failsAt < 0 ? batch.Count : failsAt;
        _lanes[lane] = (failsAt < 0 ? batch[^1].Offset + 1 : batch[failsAt].Offset, false);
        for (var i = 0; i < finished; i++)
        {
            world.Checker.Finished(batch[i].Partition, batch[i].Offset);
        }

        return failsAt < 0 ? null : new BatchFailedException(failsAt, new SimulatedFailure($"p{batch[failsAt].Partition}@{batch[failsAt].Offset} fails"));
    }

    private void CheckRun((int Epoch, int Partition) lane, IReadOnlyList<MessageContext<byte[], byte[]>> batch)
    {
        var p = lane.Partition;
        for (var i = 1; i < batch.Count; i++)
        {
            if (batch[i].Partition != p || batch[i].Offset <= batch[i - 1].Offset)
            {
                world.Checker.Fail("batch-order", $"a run holds p{batch[i].Partition}@{batch[i].Offset} after p{p}@{batch[i - 1].Offset}");
            }
        }

        if (_lanes.TryGetValue(lane, out var last))
        {
            if (last.Running)
            {
                world.Checker.Fail("batch-order", $"a run of p{p} from {batch[0].Offset} started while another run of p{p} still ran, in one assignment");
            }
            else if (batch[0].Offset < last.Next)
            {
                world.Checker.Fail("batch-order", $"a run of p{p} started at {batch[0].Offset}, below {last.Next}, where the last run of that assignment left off");
            }
        }

        _lanes[lane] = (last.Next, true);
    }
}

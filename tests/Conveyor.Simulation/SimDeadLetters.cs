using Confluent.Kafka;
using Conveyor.Processing.Engine;

namespace Conveyor.Simulation;

/// <summary>The dead-letter producer: each write is acknowledged (or fails) after a delay the seed gives the message.</summary>
internal sealed class SimDeadLetters(SimWorld world, int incarnation) : IDeadLetterWriter
{
    private readonly Dictionary<(int, long), int> _writes = [];

    public Task<TopicPartitionOffset> PublishAsync(ConsumeResult<byte[]?, byte[]?> source, FailureRecord failure, CancellationToken cancellationToken)
    {
        var p = source.Partition.Value;
        var offset = source.Offset.Value;
        var delivery = _writes[(p, offset)] = _writes.GetValueOrDefault((p, offset)) + 1;
        var (delay, fails) = MessagePlan.DeadLetter(world.Cluster.Schedule.Seed, p, offset, delivery + (incarnation * 100));
        var acknowledged = new TaskCompletionSource<TopicPartitionOffset>();
        world.Scheduler.After(delay, () =>
        {
            if (fails)
            {
                world.Trace.Add($"dead letter of p{p}@{offset} failed");
                acknowledged.SetException(new KafkaException(ErrorCode.Local_MsgTimedOut));
                return;
            }

            world.Trace.Add($"dead letter of p{p}@{offset} acknowledged");
            world.Checker.DeadLettered(p, offset);
            acknowledged.SetResult(new TopicPartitionOffset(SimCluster.Topic + ".dlq", 0, offset));
        }, incarnation);
        return acknowledged.Task;
    }
}

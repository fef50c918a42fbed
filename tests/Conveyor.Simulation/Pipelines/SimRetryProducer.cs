using Confluent.Kafka;
using Conveyor.TestSupport.Doubles;

namespace Conveyor.Simulation.Pipelines;

/// <summary>
/// The producer under the real <c>DeadLetterPublisher</c> on retry-topic schedules: a record for a
/// retry topic is stored in that topic's partition of the simulated cluster, and a record for the
/// dead-letter topic is counted as dead-lettered, when its acknowledgement arrives: after 1-200 ms,
/// 6 % late by 1-5 s, 3 % failing (then nothing is stored); a killed incarnation's writes never
/// arrive. Each record is checked as it is written (<see cref="RetryLedger.Writing"/>).
/// </summary>
internal sealed class SimRetryProducer(SimWorld world, int incarnation) : ProducerDouble
{
    private readonly Dictionary<(int, long), int> _writes = [];

    public override string Name => "sim-retry";

    public override Task<DeliveryResult<byte[]?, byte[]?>> ProduceAsync(TopicPartition topicPartition, Message<byte[]?, byte[]?> message, CancellationToken cancellationToken = default)
    {
        var retries = world.Pipelines.Retries;
        var (source, sourceOffset) = RetryLedger.Source(message);
        var target = retries.Writing(topicPartition.Topic, message);
        var delivery = _writes[(source, sourceOffset)] = _writes.GetValueOrDefault((source, sourceOffset)) + 1;
        var (delay, fails) = MessagePlan.RetryWrite(world.Cluster.Schedule.Seed, source, sourceOffset, delivery + (incarnation * 100));
        var name = $"{(target is null ? "dead letter" : "retry record")} of p{source}@{sourceOffset}";
        var written = new TaskCompletionSource<DeliveryResult<byte[]?, byte[]?>>();
        world.Scheduler.After(delay, () =>
        {
            if (fails)
            {
                world.Trace.Add($"{name} failed");
                written.SetException(new ProduceException<byte[]?, byte[]?>(
                    new Error(ErrorCode.Local_MsgTimedOut),
                    new DeliveryResult<byte[]?, byte[]?> { TopicPartitionOffset = new TopicPartitionOffset(topicPartition.Topic, Partition.Any, Offset.Unset), Message = message }));
                return;
            }

            var at = retries.Stored(target, source, sourceOffset, message);
            world.Trace.Add($"{name} acknowledged{(target is { } t ? $" at p{t}@{at}" : string.Empty)}");
            world.Checker.DeadLettered(source, sourceOffset); // the failure action is done: the source message is finished
            retries.Turns.Served(source);
            written.SetResult(new DeliveryResult<byte[]?, byte[]?>
            {
                TopicPartitionOffset = new TopicPartitionOffset(topicPartition.Topic, target ?? 0, at),
                Message = message,
            });
        }, incarnation);
        return written.Task;
    }
}

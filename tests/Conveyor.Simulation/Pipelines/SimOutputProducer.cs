using Confluent.Kafka;
using Conveyor.TestSupport.Doubles;

namespace Conveyor.Simulation.Pipelines;

/// <summary>
/// The forwarder's producer: each send is acknowledged after a delay the seed gives the output and
/// send (1-100 ms, 6 % late by 1-5 s), 6 % fail (message timed out), 4 % are acknowledged as
/// stored without an offset (a duplicate's answer); a killed incarnation's acknowledgements never
/// arrive. Only what <c>OutputProducer</c> uses is implemented.
/// </summary>
internal sealed class SimOutputProducer(SimWorld world, int incarnation) : ProducerDouble
{
    private long _nextOffset;

    public override string Name => "sim-output";

    public override void Produce(TopicPartition topicPartition, Message<byte[]?, byte[]?> message, Action<DeliveryReport<byte[]?, byte[]?>>? deliveryHandler = null)
    {
        var value = message.Value!;
        var (delay, fails, noOffset, name) = world.Pipelines.Outputs.Sent(value);
        world.Scheduler.After(delay, () =>
        {
            var report = new DeliveryReport<byte[]?, byte[]?> { TopicPartitionOffset = new TopicPartitionOffset(topicPartition, Offset.Unset) };
            if (fails)
            {
                world.Trace.Add($"{name} failed");
                report.Error = new Error(ErrorCode.Local_MsgTimedOut);
            }
            else
            {
                world.Trace.Add($"{name} acknowledged{(noOffset ? " without an offset" : string.Empty)}");
                world.Pipelines.Outputs.Acknowledged(value);
                report.Error = new Error(ErrorCode.NoError);
                if (!noOffset)
                {
                    report.TopicPartitionOffset = new TopicPartitionOffset(topicPartition, _nextOffset++);
                }
            }

            deliveryHandler?.Invoke(report);
        }, incarnation);
    }
}

using Confluent.Kafka;

namespace Conveyor.Simulation.Pipelines;

/// <summary>
/// The forwarder's producer: each send is acknowledged after a delay the seed gives the output and
/// send (1-100 ms, 6 % late by 1-5 s), 6 % fail (message timed out), 4 % are acknowledged as
/// stored without an offset (a duplicate's answer); a killed incarnation's acknowledgements never
/// arrive. Only what <c>OutputProducer</c> uses is implemented.
/// </summary>
internal sealed class SimOutputProducer(SimWorld world, int incarnation) : IProducer<byte[]?, byte[]?>
{
    private long _nextOffset;

    public Handle Handle => throw new NotSupportedException("A simulated producer has no native handle.");

    public string Name => "sim-output";

    public void Produce(TopicPartition topicPartition, Message<byte[]?, byte[]?> message, Action<DeliveryReport<byte[]?, byte[]?>>? deliveryHandler = null)
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

    public void Produce(string topic, Message<byte[]?, byte[]?> message, Action<DeliveryReport<byte[]?, byte[]?>>? deliveryHandler = null) =>
        Produce(new TopicPartition(topic, Partition.Any), message, deliveryHandler);

    public Task<DeliveryResult<byte[]?, byte[]?>> ProduceAsync(string topic, Message<byte[]?, byte[]?> message, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Pipelined forwarding produces with delivery handlers.");

    public Task<DeliveryResult<byte[]?, byte[]?>> ProduceAsync(TopicPartition topicPartition, Message<byte[]?, byte[]?> message, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Pipelined forwarding produces with delivery handlers.");

    public int Poll(TimeSpan timeout) => 0;

    public int Flush(TimeSpan timeout) => 0;

    public void Flush(CancellationToken cancellationToken = default)
    {
    }

    public void InitTransactions(TimeSpan timeout) => throw new NotSupportedException();

    public void BeginTransaction() => throw new NotSupportedException();

    public void CommitTransaction(TimeSpan timeout) => throw new NotSupportedException();

    public void CommitTransaction() => throw new NotSupportedException();

    public void AbortTransaction(TimeSpan timeout) => throw new NotSupportedException();

    public void AbortTransaction() => throw new NotSupportedException();

    public void SendOffsetsToTransaction(IEnumerable<TopicPartitionOffset> offsets, IConsumerGroupMetadata groupMetadata, TimeSpan timeout) => throw new NotSupportedException();

    public int AddBrokers(string brokers) => throw new NotSupportedException();

    public void SetSaslCredentials(string username, string password) => throw new NotSupportedException();

    public void Dispose()
    {
    }
}

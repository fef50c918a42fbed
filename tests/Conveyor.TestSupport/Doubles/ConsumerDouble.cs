using Confluent.Kafka;

namespace Conveyor.TestSupport.Doubles;

/// <summary>
/// The base of the consumers that stand in for Confluent.Kafka's in Conveyor's own tests,
/// simulator and benchmarks: the calls the engine makes are left to each double, and the ones it
/// never makes (it subscribes, commits explicit offsets and consumes with a timeout) are refused
/// with <see cref="NotSupportedException"/>, so a double states only what it does.
/// </summary>
internal abstract class ConsumerDouble : IConsumer<byte[]?, byte[]?>
{
    public abstract string Name { get; }

    public virtual Handle Handle => throw new NotSupportedException($"{Name} has no native handle.");

    public virtual string MemberId => Name;

    public abstract List<TopicPartition> Assignment { get; }

    public List<string> Subscription { get; private set; } = [];

    public virtual IConsumerGroupMetadata ConsumerGroupMetadata => throw new NotSupportedException($"{Name} has no group metadata.");

    public abstract ConsumeResult<byte[]?, byte[]?>? Consume(TimeSpan timeout);

    public ConsumeResult<byte[]?, byte[]?>? Consume(int millisecondsTimeout) => Consume(TimeSpan.FromMilliseconds(millisecondsTimeout));

    public ConsumeResult<byte[]?, byte[]?> Consume(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The engine consumes with a timeout.");

    public void Subscribe(IEnumerable<string> topics) => Subscription = [.. topics];

    public void Subscribe(string topic) => Subscription = [topic];

    public void Unsubscribe() => Subscription = [];

    public abstract void Pause(IEnumerable<TopicPartition> partitions);

    public abstract void Resume(IEnumerable<TopicPartition> partitions);

    public abstract void Seek(TopicPartitionOffset tpo);

    public abstract Offset Position(TopicPartition partition);

    public abstract WatermarkOffsets GetWatermarkOffsets(TopicPartition topicPartition);

    public WatermarkOffsets QueryWatermarkOffsets(TopicPartition topicPartition, TimeSpan timeout) => GetWatermarkOffsets(topicPartition);

    public abstract void Commit(IEnumerable<TopicPartitionOffset> offsets);

    public abstract List<TopicPartitionOffset> Committed(IEnumerable<TopicPartition> partitions, TimeSpan timeout);

    public List<TopicPartitionOffset> Committed(TimeSpan timeout) => Committed(Assignment, timeout);

    public abstract void Close();

    public virtual void Dispose()
    {
    }

    public List<TopicPartitionOffset> Commit() => throw new NotSupportedException("The engine commits explicit offsets.");

    public void Commit(ConsumeResult<byte[]?, byte[]?> result) => throw new NotSupportedException("The engine commits explicit offsets.");

    public void StoreOffset(ConsumeResult<byte[]?, byte[]?> result) => throw new NotSupportedException("The engine does not store offsets.");

    public void StoreOffset(TopicPartitionOffset offset) => throw new NotSupportedException("The engine does not store offsets.");

    public void Assign(TopicPartition partition) => throw new NotSupportedException("The engine subscribes.");

    public void Assign(TopicPartitionOffset partition) => throw new NotSupportedException("The engine subscribes.");

    public void Assign(IEnumerable<TopicPartitionOffset> partitions) => throw new NotSupportedException("The engine subscribes.");

    public void Assign(IEnumerable<TopicPartition> partitions) => throw new NotSupportedException("The engine subscribes.");

    public void IncrementalAssign(IEnumerable<TopicPartitionOffset> partitions) => throw new NotSupportedException("The engine subscribes.");

    public void IncrementalAssign(IEnumerable<TopicPartition> partitions) => throw new NotSupportedException("The engine subscribes.");

    public void IncrementalUnassign(IEnumerable<TopicPartition> partitions) => throw new NotSupportedException("The engine subscribes.");

    public void Unassign() => throw new NotSupportedException("The engine subscribes.");

    public List<TopicPartitionOffset> OffsetsForTimes(IEnumerable<TopicPartitionTimestamp> timestampsToSearch, TimeSpan timeout) => throw new NotSupportedException();

    public int AddBrokers(string brokers) => throw new NotSupportedException();

    public void SetSaslCredentials(string username, string password) => throw new NotSupportedException();
}

using Confluent.Kafka;
using Conveyor.Processing.Transactions;

namespace Conveyor.TestSupport.Doubles;

/// <summary>
/// The base of the producers that stand in for Confluent.Kafka's in Conveyor's own tests and
/// simulator: every <see cref="IProducer{TKey, TValue}"/> member a double does not override is
/// refused (<see cref="NotSupportedException"/>) or does nothing (poll, flush, dispose), so each
/// double states only what it does. The string overloads go to the <see cref="TopicPartition"/>
/// ones with <see cref="Partition.Any"/>, as librdkafka's partitioner would pick. Never packed:
/// the shipped Conveyor.Testing package holds only what users call.
/// </summary>
internal abstract class ProducerDouble : IProducer<byte[]?, byte[]?>
{
    public virtual Handle Handle => throw new NotSupportedException($"{Name} has no native handle.");

    public abstract string Name { get; }

    public virtual void Produce(TopicPartition topicPartition, Message<byte[]?, byte[]?> message, Action<DeliveryReport<byte[]?, byte[]?>>? deliveryHandler = null) =>
        throw new NotSupportedException($"{Name} does not produce with delivery handlers.");

    public void Produce(string topic, Message<byte[]?, byte[]?> message, Action<DeliveryReport<byte[]?, byte[]?>>? deliveryHandler = null) =>
        Produce(new TopicPartition(topic, Partition.Any), message, deliveryHandler);

    public virtual Task<DeliveryResult<byte[]?, byte[]?>> ProduceAsync(TopicPartition topicPartition, Message<byte[]?, byte[]?> message, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{Name} does not produce awaited records.");

    public Task<DeliveryResult<byte[]?, byte[]?>> ProduceAsync(string topic, Message<byte[]?, byte[]?> message, CancellationToken cancellationToken = default) =>
        ProduceAsync(new TopicPartition(topic, Partition.Any), message, cancellationToken);

    public int Poll(TimeSpan timeout) => 0;

    public int Flush(TimeSpan timeout) => 0;

    public void Flush(CancellationToken cancellationToken = default)
    {
    }

    public virtual void InitTransactions(TimeSpan timeout) => throw NotTransactional();

    public virtual void BeginTransaction() => throw NotTransactional();

    public virtual void CommitTransaction(TimeSpan timeout) => throw NotTransactional();

    public void CommitTransaction() => CommitTransaction(Timeout.InfiniteTimeSpan);

    public virtual void AbortTransaction(TimeSpan timeout) => throw NotTransactional();

    public void AbortTransaction() => AbortTransaction(Timeout.InfiniteTimeSpan);

    /// <summary>The engine sends offsets with their metadata through <see cref="ITransactionalProducer"/>, never through Confluent.Kafka's call.</summary>
    public void SendOffsetsToTransaction(IEnumerable<TopicPartitionOffset> offsets, IConsumerGroupMetadata groupMetadata, TimeSpan timeout) =>
        throw new NotSupportedException("The engine sends offsets through ITransactionalProducer.");

    public int AddBrokers(string brokers) => throw new NotSupportedException();

    public void SetSaslCredentials(string username, string password) => throw new NotSupportedException();

    public virtual void Dispose()
    {
    }

    private NotSupportedException NotTransactional() => new($"{Name} is not transactional.");
}

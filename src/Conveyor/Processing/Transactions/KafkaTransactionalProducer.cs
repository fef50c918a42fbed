using Confluent.Kafka;

namespace Conveyor.Processing.Transactions;

/// <summary>Confluent.Kafka's transactional producer behind <see cref="ITransactionalProducer"/>.</summary>
internal sealed class KafkaTransactionalProducer(IProducer<byte[]?, byte[]?> producer) : ITransactionalProducer
{
    public void InitTransactions(TimeSpan timeout) => producer.InitTransactions(timeout);

    public void BeginTransaction() => producer.BeginTransaction();

    public void SendOffsetsToTransaction(IEnumerable<TopicPartitionOffset> offsets, IConsumerGroupMetadata groupMetadata, TimeSpan timeout) =>
        producer.SendOffsetsToTransaction(offsets, groupMetadata, timeout);

    public void CommitTransaction(TimeSpan timeout) => producer.CommitTransaction(timeout);

    public void AbortTransaction(TimeSpan timeout) => producer.AbortTransaction(timeout);
}

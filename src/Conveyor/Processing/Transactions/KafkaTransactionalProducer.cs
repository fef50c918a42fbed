using Confluent.Kafka;
using Conveyor.Native;
using Conveyor.Processing.Commits;

namespace Conveyor.Processing.Transactions;

/// <summary>
/// Confluent.Kafka's transactional producer behind <see cref="ITransactionalProducer"/>. Offsets
/// with metadata (persisted completions: messages finished above an unfinished one) go through
/// librdkafka's own call (<see cref="OffsetsNative.SendToTransaction"/>), since Confluent.Kafka's
/// drops metadata; offsets without any go through Confluent.Kafka's.
/// </summary>
internal sealed class KafkaTransactionalProducer(IProducer<byte[]?, byte[]?> producer) : ITransactionalProducer
{
    public void InitTransactions(TimeSpan timeout) => producer.InitTransactions(timeout);

    public void BeginTransaction() => producer.BeginTransaction();

    public void SendOffsetsToTransaction(IReadOnlyList<OffsetCommit> offsets, IConsumer<byte[]?, byte[]?> consumer, TimeSpan timeout)
    {
        if (offsets.Any(o => o.Metadata.Length > 0))
        {
            OffsetsNative.SendToTransaction(producer, consumer, [.. offsets.Select(o => (o.ToTopicPartitionOffset(), o.Metadata))], timeout);
        }
        else
        {
            producer.SendOffsetsToTransaction(offsets.Select(o => o.ToTopicPartitionOffset()), consumer.ConsumerGroupMetadata, timeout);
        }
    }

    public void CommitTransaction(TimeSpan timeout) => producer.CommitTransaction(timeout);

    public void AbortTransaction(TimeSpan timeout) => producer.AbortTransaction(timeout);
}

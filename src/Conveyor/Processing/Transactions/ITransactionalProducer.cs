using Confluent.Kafka;
using Conveyor.Processing.Commits;

namespace Conveyor.Processing.Transactions;

/// <summary>
/// The transactional calls the engine makes on its producer (Confluent.Kafka's signatures), so the
/// poll loop's transaction handling can be tested with a recording producer instead of a broker.
/// Errors are Confluent.Kafka's: <see cref="KafkaRetriableException"/> (call again),
/// <see cref="KafkaTxnRequiresAbortException"/> (abort), or a <see cref="KafkaException"/> whose
/// <see cref="Error.IsFatal"/> is set (the producer is unusable).
/// </summary>
internal interface ITransactionalProducer
{
    void InitTransactions(TimeSpan timeout);

    void BeginTransaction();

    /// <summary>Sends the input offsets (with their metadata: the finished offsets above each) to the open transaction, with <paramref name="consumer"/>'s group metadata.</summary>
    void SendOffsetsToTransaction(IReadOnlyList<OffsetCommit> offsets, IConsumer<byte[]?, byte[]?> consumer, TimeSpan timeout);

    void CommitTransaction(TimeSpan timeout);

    void AbortTransaction(TimeSpan timeout);
}

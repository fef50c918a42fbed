using Confluent.Kafka;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Transactions;

namespace Conveyor.TestSupport.Doubles;

/// <summary>
/// The base of the transactional producers of the tests and the simulator: the engine's
/// <see cref="ITransactionalProducer"/> calls, with Confluent.Kafka's producer calls of the same
/// name going to them (the ones without a timeout wait as long as it takes).
/// </summary>
internal abstract class TransactionalProducerDouble : ProducerDouble, ITransactionalProducer
{
    public abstract override void InitTransactions(TimeSpan timeout);

    public abstract override void BeginTransaction();

    public abstract void SendOffsetsToTransaction(IReadOnlyList<OffsetCommit> offsets, IConsumer<byte[]?, byte[]?> consumer, TimeSpan timeout);

    public abstract override void CommitTransaction(TimeSpan timeout);

    public abstract override void AbortTransaction(TimeSpan timeout);
}

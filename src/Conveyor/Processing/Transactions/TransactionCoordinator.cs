using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Diagnostics;

namespace Conveyor.Processing.Transactions;

/// <summary>
/// The transactional producer of an exactly-once forwarder, and its transaction's life: begun at
/// start and after every commit or abort; committed with the input offsets
/// (<c>SendOffsetsToTransaction</c> with the consumer's group metadata) by the poll loop while the
/// <see cref="Gate"/> is closed; aborted when a commit fails or a handler's output failed.
/// </summary>
internal sealed class TransactionCoordinator : IDisposable
{
    private readonly TimeSpan _timeout;
    private readonly ITransactionObserver _observer;
    private Error? _abortRequested;
    private long _produced;

    /// <param name="client">The user's properties.</param>
    /// <param name="options">The transactional id and timeout.</param>
    /// <param name="telemetry">Hears the producer's errors and log lines, and the transaction outcomes, before the user's observer.</param>
    /// <param name="onFatal">Also hears the producer's fatal errors.</param>
    public TransactionCoordinator(KafkaClientProperties client, ProcessorOptions options, ProcessorTelemetry telemetry, Action<Error> onFatal)
    {
        _timeout = options.TransactionTimeout;
        _observer = telemetry;
        Producer = ProducerFactory.Build(client, Forwarding.OutputProducer.Linger, telemetry, onFatal, options.TransactionalId!);
    }

    public IProducer<byte[]?, byte[]?> Producer { get; }

    public TransactionGate Gate { get; } = new();

    /// <summary>Set once the producer failed fatally; nothing more is committed.</summary>
    public Error? Fatal { get; private set; }

    /// <summary>True when the current transaction must be aborted at the next commit.</summary>
    public bool AbortRequested => Volatile.Read(ref _abortRequested) is not null;

    /// <summary>Registers the transactional id (fencing older producers with it) and begins the first transaction.</summary>
    public void Start()
    {
        Producer.InitTransactions(_timeout);
        Producer.BeginTransaction();
    }

    /// <summary>A handler's output was written into the current transaction.</summary>
    public void Produced() => Interlocked.Increment(ref _produced);

    /// <summary>A handler's output failed: the transaction cannot commit; the next commit aborts it.</summary>
    public void RequestAbort(Error error) => Interlocked.CompareExchange(ref _abortRequested, error, null);

    /// <summary>
    /// Commits the current transaction with these input offsets, or aborts it when that fails or an
    /// abort was requested. Poll thread only, with the gate closed.
    /// </summary>
    public (TransactionOutcome Outcome, Error? Error) Commit(IReadOnlyList<TopicPartitionOffset> offsets, IConsumerGroupMetadata groupMetadata)
    {
        if (Fatal is { } fatal)
        {
            return (TransactionOutcome.Fatal, fatal);
        }

        if (Volatile.Read(ref _abortRequested) is { } requested)
        {
            return Abort(requested);
        }

        if (offsets.Count == 0 && Interlocked.Read(ref _produced) == 0)
        {
            return (TransactionOutcome.Empty, null);
        }

        try
        {
            if (offsets.Count > 0)
            {
                Producer.SendOffsetsToTransaction(offsets, groupMetadata, _timeout);
            }

            CommitWithRetry();
            _observer.OnTransactionCommitted(offsets);
            return Begin(TransactionOutcome.Committed, null);
        }
        catch (KafkaException e) when (e.Error.IsFatal)
        {
            Fatal = e.Error;
            return (TransactionOutcome.Fatal, e.Error);
        }
        catch (KafkaException e)
        {
            // KafkaTxnRequiresAbortException, or a retriable error that did not go away.
            return Abort(e.Error);
        }
    }

    /// <summary>An aborted transaction's partitions were rewound: tells the user's observer (which also hears the commits).</summary>
    public void ReportAborted(Error reason, IReadOnlyList<TopicPartitionOffset> rewoundTo) => _observer.OnTransactionAborted(reason, rewoundTo);

    public void Dispose() => Producer.Dispose();

    private void CommitWithRetry()
    {
        try
        {
            Producer.CommitTransaction(_timeout);
        }
        catch (KafkaRetriableException)
        {
            Producer.CommitTransaction(_timeout); // librdkafka: a retriable commit may simply be called again
        }
    }

    private (TransactionOutcome, Error?) Abort(Error reason)
    {
        try
        {
            Producer.AbortTransaction(_timeout);
        }
        catch (KafkaException e) when (e.Error.IsFatal)
        {
            Fatal = e.Error;
            return (TransactionOutcome.Fatal, e.Error);
        }
        catch (KafkaException e)
        {
            // The abort itself failed: nothing can be known about this transaction; stop rather than guess.
            Fatal = new Error(e.Error.Code, $"Aborting a transaction failed ({e.Error.Reason}) after: {reason.Reason}", isFatal: true);
            return (TransactionOutcome.Fatal, Fatal);
        }

        return Begin(TransactionOutcome.Aborted, reason);
    }

    private (TransactionOutcome, Error?) Begin(TransactionOutcome outcome, Error? error)
    {
        Interlocked.Exchange(ref _produced, 0);
        Volatile.Write(ref _abortRequested, null);
        Producer.BeginTransaction();
        return (outcome, error);
    }
}

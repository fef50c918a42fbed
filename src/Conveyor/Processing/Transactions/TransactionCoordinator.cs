using Confluent.Kafka;
using Polly;
using Polly.Retry;

namespace Conveyor.Processing.Transactions;

/// <summary>
/// The transaction's life on the exactly-once forwarder's producer: begun at start and after every
/// commit or abort; committed with the input offsets (<c>SendOffsetsToTransaction</c> with the
/// consumer's group metadata) by the poll loop while the <see cref="Gate"/> is closed; aborted
/// when a commit fails, a handler's output failed, or partitions were lost. Errors are handled by
/// the kind librdkafka gives them: retriable ones are called again (with back-off), abortable ones
/// (<see cref="KafkaTxnRequiresAbortException"/>) abort, fatal ones stop the processor.
/// </summary>
internal sealed class TransactionCoordinator
{
    /// <summary>
    /// How long one <c>SendOffsetsToTransaction</c> may take. librdkafka itself retries a group
    /// coordinator's "Not coordinator" and "Coordinator load in progress" every 500 ms, looking
    /// the coordinator up again, until this runs out; then the transaction is abortable and is
    /// aborted and rewound. Shorter than the transaction timeout, so a coordinator that moved
    /// costs seconds on the poll thread rather than the whole transaction timeout.
    /// </summary>
    public static readonly TimeSpan OffsetsAttemptTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Calls that failed with a retriable error (a timeout librdkafka says may be called again) are called again this many times.</summary>
    public const int MaxRetries = 4;

    private readonly ITransactionalProducer _producer;
    private readonly TimeSpan _timeout;
    private readonly ITransactionObserver _observer;
    private readonly ResiliencePipeline _retry;
    private Error? _abortRequested;
    private long _produced;

    /// <param name="producer">The transactional producer.</param>
    /// <param name="timeout">How long each transactional call may take.</param>
    /// <param name="observer">Hears the transaction outcomes (the telemetry, then the user's observer).</param>
    /// <param name="retryDelay">The first back-off before a retriable call is made again (doubled each time); default 100 ms.</param>
    public TransactionCoordinator(ITransactionalProducer producer, TimeSpan timeout, ITransactionObserver observer, TimeSpan? retryDelay = null)
    {
        _producer = producer;
        _timeout = timeout;
        _observer = observer;
        _retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = MaxRetries,
            Delay = retryDelay ?? TimeSpan.FromMilliseconds(100),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = false,
            ShouldHandle = new PredicateBuilder().Handle<KafkaRetriableException>(),
        }).Build();
    }

    public TransactionGate Gate { get; } = new();

    /// <summary>Set once the producer failed fatally; nothing more is committed.</summary>
    public Error? Fatal { get; private set; }

    /// <summary>True when the current transaction must be aborted at the next commit.</summary>
    public bool AbortRequested => Volatile.Read(ref _abortRequested) is not null;

    /// <summary>Registers the transactional id (fencing older producers with it) and begins the first transaction.</summary>
    public void Start()
    {
        _retry.Execute(() => _producer.InitTransactions(_timeout));
        _producer.BeginTransaction();
    }

    /// <summary>A handler's output was written into the current transaction.</summary>
    public void Produced() => Interlocked.Increment(ref _produced);

    /// <summary>The current transaction cannot commit (an output failed, or holds outputs of an input it cannot cover): the next commit aborts it.</summary>
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
                var attempt = OffsetsAttemptTimeout < _timeout ? OffsetsAttemptTimeout : _timeout;
                _retry.Execute(() => _producer.SendOffsetsToTransaction(offsets, groupMetadata, attempt));
            }

            // librdkafka: a commit that timed out (retriable) may simply be called again; it resumes.
            _retry.Execute(() => _producer.CommitTransaction(_timeout));
        }
        catch (KafkaException e) when (e.Error.IsFatal)
        {
            return Failed(e.Error);
        }
        catch (KafkaException e)
        {
            // Abortable (KafkaTxnRequiresAbortException: e.g. a stale generation refused by a
            // KIP-447 broker), a retriable error that did not go away, or anything else not fatal.
            return Abort(e.Error);
        }

        _observer.OnTransactionCommitted(offsets);
        return Begin(TransactionOutcome.Committed, null);
    }

    /// <summary>Aborts the current transaction (its outputs are discarded) and begins the next. Poll thread only, with the gate closed.</summary>
    public (TransactionOutcome Outcome, Error? Error) Abort(Error reason)
    {
        if (Fatal is { } fatal)
        {
            return (TransactionOutcome.Fatal, fatal);
        }

        try
        {
            _retry.Execute(() => _producer.AbortTransaction(_timeout));
        }
        catch (KafkaException e) when (e.Error.IsFatal)
        {
            return Failed(e.Error);
        }
        catch (KafkaException e)
        {
            // The abort itself failed: nothing can be known about this transaction; stop rather than guess.
            return Failed(new Error(e.Error.Code, $"Aborting a transaction failed ({e.Error.Reason}) after: {reason.Reason}", isFatal: true));
        }

        return Begin(TransactionOutcome.Aborted, reason);
    }

    /// <summary>An aborted transaction's partitions were rewound: tells the user's observer (which also hears the commits).</summary>
    public void ReportAborted(Error reason, IReadOnlyList<TopicPartitionOffset> rewoundTo) => _observer.OnTransactionAborted(reason, rewoundTo);

    private (TransactionOutcome, Error?) Begin(TransactionOutcome outcome, Error? error)
    {
        Interlocked.Exchange(ref _produced, 0);
        Volatile.Write(ref _abortRequested, null);
        try
        {
            _producer.BeginTransaction();
        }
        catch (KafkaException e)
        {
            // Without an open transaction no output can be written: the processor cannot go on.
            return Failed(new Error(e.Error.Code, $"Could not begin a new transaction: {e.Error.Reason}", isFatal: true));
        }

        return (outcome, error);
    }

    private (TransactionOutcome, Error?) Failed(Error error)
    {
        Fatal = error;
        return (TransactionOutcome.Fatal, error);
    }
}

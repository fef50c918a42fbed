using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Confluent.Kafka;
using Conveyor.Processing.Commits;
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

    /// <summary>
    /// Calls that failed with a retriable error (a timeout librdkafka says may be called again) are
    /// called again this many times at most, and only while the call's time (the transaction
    /// timeout; <see cref="OffsetsAttemptTimeout"/> for the offsets) lasts: each attempt gets what is left.
    /// </summary>
    public const int MaxRetries = 4;

    /// <summary>How long past its timeout a call may take before it is given up as stuck (default).</summary>
    public static readonly TimeSpan DefaultStuckAfter = TimeSpan.FromSeconds(5);

    /// <summary>The least time an attempt is given, so a retry near the end of the call's time is not given none.</summary>
    private static readonly TimeSpan MinimumAttempt = TimeSpan.FromMilliseconds(100);

    private readonly ITransactionalProducer _producer;
    private readonly TimeSpan _timeout;
    private readonly ITransactionObserver _observer;
    private readonly ResiliencePipeline _retry;
    private readonly TimeSpan _stuckAfter;
    private readonly Engine.EngineRuntime _runtime;
    private Error? _abortRequested;
    private long _produced;
    private bool _stuck;

    /// <param name="producer">The transactional producer.</param>
    /// <param name="timeout">How long each transactional call may take.</param>
    /// <param name="observer">Hears the transaction outcomes (the telemetry, then the user's observer).</param>
    /// <param name="retryDelay">The first back-off before a retriable call is made again (doubled each time); default 100 ms.</param>
    /// <param name="stuckAfter">How long past its timeout a call may take before it is given up; default <see cref="DefaultStuckAfter"/>.</param>
    /// <param name="runtime">The engine's runtime (a simulator's runs every call inline); the system's when null.</param>
    public TransactionCoordinator(ITransactionalProducer producer, TimeSpan timeout, ITransactionObserver observer, TimeSpan? retryDelay = null, TimeSpan? stuckAfter = null, Engine.EngineRuntime? runtime = null)
    {
        _runtime = runtime ?? Engine.EngineRuntime.Default;
        Gate = new TransactionGate(_runtime);
        _stuckAfter = stuckAfter ?? DefaultStuckAfter;
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

    public TransactionGate Gate { get; }

    /// <summary>Set once the producer failed fatally; nothing more is committed.</summary>
    public Error? Fatal { get; private set; }

    /// <summary>Set when a call never returned (<see cref="DefaultStuckAfter"/>): the producer cannot be disposed, since librdkafka would wait for that call.</summary>
    public bool Stuck => Volatile.Read(ref _stuck);

    /// <summary>True when the current transaction must be aborted at the next commit.</summary>
    public bool AbortRequested => Volatile.Read(ref _abortRequested) is not null;

    /// <summary>Registers the transactional id (fencing older producers with it) and begins the first transaction.</summary>
    public void Start()
    {
        Call("InitTransactions", _producer.InitTransactions, _timeout);
        _producer.BeginTransaction();
    }

    /// <summary>A handler's output was written into the current transaction.</summary>
    public void Produced() => Interlocked.Increment(ref _produced);

    /// <summary>The current transaction cannot commit (an output failed, or holds outputs of an input it cannot cover): the next commit aborts it.</summary>
    public void RequestAbort(Error error) => Interlocked.CompareExchange(ref _abortRequested, error, null);

    /// <summary>
    /// Commits the current transaction with these input offsets (and their metadata), or aborts it
    /// when that fails or an abort was requested. Poll thread only, with the gate closed.
    /// </summary>
    public (TransactionOutcome Outcome, Error? Error) Commit(IReadOnlyList<OffsetCommit> offsets, IConsumer<byte[]?, byte[]?> consumer)
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
                var budget = OffsetsAttemptTimeout < _timeout ? OffsetsAttemptTimeout : _timeout;
                Call("SendOffsetsToTransaction", timeout => _producer.SendOffsetsToTransaction(offsets, consumer, timeout), budget);
            }

            if (OutOfGroup(consumer) is { } outOfGroup)
            {
                return Abort(outOfGroup);
            }

            // librdkafka: a commit that timed out (retriable) may simply be called again; it resumes.
            Call("CommitTransaction", _producer.CommitTransaction, _timeout);
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

        _observer.OnTransactionCommitted([.. offsets.Select(o => o.ToTopicPartitionOffset())]);
        return Begin(TransactionOutcome.Committed, null);
    }

    /// <summary>
    /// Why this member must not commit: its session ended (a coordinator that moved, heartbeats
    /// that failed) and librdkafka reset its member id; it joins again only after the lost
    /// callback, which runs on this poll thread after the commit. Its group metadata then carries
    /// no member id (and after an ILLEGAL_GENERATION no generation), and a group coordinator takes
    /// a transactional offset commit of that form unfenced (older clients send it), so the lost
    /// partitions' outputs would commit beside their new owner's: duplicates. Checked after the
    /// offsets were sent, so that a session ending during the call is seen too: the abort drops them.
    /// </summary>
    private Error? OutOfGroup(IConsumer<byte[]?, byte[]?> consumer) =>
        string.IsNullOrEmpty(consumer.MemberId) && !_runtime.Bugs.HasFlag(Engine.ReintroducedBugs.CommitWithoutMemberId)
            ? new Error(ErrorCode.UnknownMemberId, "This member's session in the group ended (it has no member id until its lost partitions are handed back): the transaction is aborted, since the broker would not fence its offsets.")
            : null;

    /// <summary>Aborts the current transaction (its outputs are discarded) and begins the next. Poll thread only, with the gate closed.</summary>
    public (TransactionOutcome Outcome, Error? Error) Abort(Error reason)
    {
        if (Fatal is { } fatal)
        {
            return (TransactionOutcome.Fatal, fatal);
        }

        try
        {
            Call("AbortTransaction", _producer.AbortTransaction, _timeout);
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

    /// <summary>
    /// Makes a call, and again after a retriable error while <paramref name="budget"/> lasts; then
    /// its last error is no longer retriable. A call that has not returned <see cref="DefaultStuckAfter"/>
    /// past its own timeout is given up as fatal: librdkafka's <c>send_offsets_to_transaction</c>
    /// can wait for a group coordinator's broker that went away without end, past its timeout
    /// (librdkafka issues #5456 and #5511), and a transaction cannot be aborted while it waits, so
    /// the processor stops (its partitions go to other members; the broker aborts the transaction
    /// when it times out, or when this transactional id starts again).
    /// </summary>
    private void Call(string name, Action<TimeSpan> call, TimeSpan budget)
    {
        var started = Stopwatch.GetTimestamp();
        _retry.Execute(() =>
        {
            var left = budget - Stopwatch.GetElapsedTime(started);
            try
            {
                Bounded(name, call, left > MinimumAttempt ? left : MinimumAttempt);
            }
            catch (KafkaRetriableException e) when (Stopwatch.GetElapsedTime(started) >= budget)
            {
                throw new KafkaException(e.Error, e); // out of time: the caller aborts (or stops, for an abort)
            }
        });
    }

    private void Bounded(string name, Action<TimeSpan> call, TimeSpan timeout)
    {
        if (_runtime.OnOneThread)
        {
            call(timeout); // a simulated producer's calls return at once; no thread may wait for another here
            return;
        }

        // A thread of its own, not the thread pool's: a call queued behind busy pool threads would
        // look stuck though it never started, and stop a healthy processor.
        var running = Task.Factory.StartNew(() => call(timeout), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            if (!running.Wait(timeout + _stuckAfter))
            {
                Volatile.Write(ref _stuck, true);
                throw new KafkaException(new Error(ErrorCode.Local_TimedOut,
                    $"{name} did not return {_stuckAfter.TotalSeconds:0.#} s after its {timeout.TotalSeconds:0.#} s timeout (its coordinator's broker went away: librdkafka issue #5456); stopping so that the group moves the partitions on.",
                    isFatal: true));
            }
        }
        catch (AggregateException e) when (e.InnerException is KafkaException inner)
        {
            ExceptionDispatchInfo.Throw(inner);
        }
    }

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

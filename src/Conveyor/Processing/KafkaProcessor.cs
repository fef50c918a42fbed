using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Processing.Batching;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Concurrency;
using Conveyor.Processing.Engine;
using Conveyor.Processing.Transactions;
using Conveyor.Serialization;

namespace Conveyor.Processing;

/// <summary>
/// Consumes topics as a member of a consumer group and runs a handler for every message,
/// concurrently (<see cref="ProcessorOptions.MaxConcurrency"/>) within the ordering chosen
/// (<see cref="ProcessorOptions.Ordering"/>). With the default at-least-once guarantee a committed
/// offset never passes a message that is not finished: handled, or dead-lettered and acknowledged.
/// </summary>
/// <seealso cref="KafkaProcessorBuilder{TKey, TValue}.Handle"/>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public sealed class KafkaProcessor<TKey, TValue> : IKafkaProcessor
{
    private readonly KafkaClientProperties _client;
    private readonly ProcessorOptions _options;
    private readonly StagedHandler<TKey, TValue> _handler;
    private readonly MessageDeserializer<TKey> _keys;
    private readonly MessageDeserializer<TValue> _values;
    private readonly IEngineEvents _telemetry;
    private readonly TransactionCoordinator? _transactions;
    private readonly IConsumerFactory? _consumers;
    private readonly RunOnce _run = new();
    private readonly ConcurrencyLimit _concurrency;

    /// <summary>From the builder's validated parts.</summary>
    internal KafkaProcessor(ProcessorParts<TKey, TValue> parts, MessageHandler<TKey, TValue> handler)
        : this(parts.Client, parts.Options, StagedHandlers.From(handler ?? throw new ArgumentNullException(nameof(handler))), parts.Keys, parts.Values, parts.Telemetry, transactions: null)
    {
    }

    /// <summary>
    /// With options and properties already validated, and a telemetry layer made by the caller
    /// (the forwarder and the batch processor route their own producers' events through it); runs a
    /// staged handler (a forwarder's hands its outputs off). With <paramref name="transactions"/>:
    /// commits go into its transactions (exactly-once forwarding). <paramref name="consumers"/>
    /// makes the consumer: Confluent.Kafka's when null, a fake in the engine's unit tests.
    /// </summary>
    internal KafkaProcessor(
        KafkaClientProperties client,
        ProcessorOptions options,
        StagedHandler<TKey, TValue> handler,
        MessageDeserializer<TKey> keys,
        MessageDeserializer<TValue> values,
        IEngineEvents telemetry,
        TransactionCoordinator? transactions,
        IConsumerFactory? consumers = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _client = client;
        _options = options;
        _handler = handler;
        _keys = keys;
        _values = values;
        _telemetry = telemetry;
        _transactions = transactions;
        _consumers = consumers;
        _concurrency = ConcurrencyLimit.For(options, telemetry.ConcurrencyChanged);
    }

    /// <summary>The live limit on running handlers (the fleet's commands and the adaptive limit set it); it holds across runs.</summary>
    internal IConcurrencyControl Concurrency => _concurrency;

    /// <inheritdoc />
    public ProcessorStatus Status => _telemetry.Status;

    /// <summary>Whether an operator paused a partition, when the pauses come from elsewhere than <see cref="ProcessorOptions.Fleet"/> (the engine's unit tests).</summary>
    internal Func<TopicPartition, bool>? PausedByOperator { get; init; }

    /// <summary>Where the engine's time, waits and cluster look-ups come from: <see cref="EngineRuntime.Default"/> unless the engine's unit tests supply their own.</summary>
    internal EngineRuntime? Runtime { get; init; }

    /// <summary>A batch processor's handler: workers take runs of one partition's messages (<see cref="ProcessorOptions.Batch"/>) and call it once per run.</summary>
    internal BatchHandler<TKey, TValue>? Batches { get; init; }

    /// <summary>A pipelined forwarder's output window: workers wait for room in it before they take a message.</summary>
    internal ITakeRoom? Room { get; init; }

    /// <summary>
    /// Processes until <paramref name="cancellationToken"/> is cancelled, then stops cleanly: no more
    /// fetching, running handlers finish (up to <see cref="ProcessorOptions.ShutdownTimeout"/>),
    /// finished offsets are committed, the group is left. A processor runs once.
    /// </summary>
    /// <exception cref="ProcessorStoppedException">A message failed with <see cref="FailureAction.StopProcessor"/>, or the client failed fatally.</exception>
    /// <exception cref="InvalidOperationException">It ran before.</exception>
    /// <exception cref="ObjectDisposedException">It was disposed before it ran.</exception>
    public Task RunAsync(CancellationToken cancellationToken = default) => _run.RunAsync(RunTelemetryAsync, cancellationToken);

    private async Task RunTelemetryAsync(CancellationToken cancellationToken)
    {
        _telemetry.RunStarted();
        try
        {
            await RunEngineAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _telemetry.RunEnded(e.Message);
            throw;
        }

        _telemetry.RunEnded(failure: null);
    }

    private async Task RunEngineAsync(CancellationToken cancellationToken)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var abort = new CancellationTokenSource();
        using var deadLetters = _options.OnFailure is FailureAction.DeadLetter or FailureAction.RetryTopics
            ? new DeadLetterPublisher(_client, _options, _telemetry)
            : null;
        var dispatcher = new Dispatcher(Batches is null ? null : _options.Batch, Runtime);
        var executor = new MessageExecutor<TKey, TValue>(_options, _telemetry.Timed(_handler), _keys, _values, deadLetters, _telemetry);
        var schedule = new CommitSchedule(_options.CommitInterval, _options.CommitEveryMessages);
        var settings = ConsumerSettings.For(_client, _options);
        using var fleet = _options.Fleet.Enabled ? new Fleet.FleetMember(_client, _options, _telemetry, _concurrency) : null;
        if (fleet is not null)
        {
            // Before the first assignment: a partition an operator paused is never handled, even at the start.
            await Task.Run(() => fleet.Prepare(stopping.Token), CancellationToken.None).ConfigureAwait(false);
        }

        using var poll = new PollLoop(settings, _consumers ?? new KafkaConsumerFactory(settings, _options.ConfluentConsume), _options, dispatcher, schedule, _telemetry, _transactions,
            pausedByOperator: PausedByOperator ?? (fleet is null ? null : fleet.PausedByOperator));
        var gate = _transactions?.Gate;
        using var fleetStopping = new CancellationTokenSource();
        fleet?.Attach(poll, stopping.Cancel);
        var fleetRun = fleet is null ? Task.CompletedTask : Task.Factory.StartNew(
            () => fleet.Run(fleetStopping.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        var batches = Batches is null ? null : new BatchExecutor<TKey, TValue>(_telemetry.TimedBatches(Batches), executor);
        var adaptive = _options.Concurrency.Adaptive && Batches is null ? new AdaptiveConcurrency(_concurrency) : null;
        var breaker = _options.Concurrency.OverloadBackOff is { } backOff && Batches is null ? new OverloadBreaker(backOff) : null;
        var attempts = adaptive is null && breaker is null ? null : new HandlerAttempts(_options.Retry.ShouldRetry, adaptive, breaker, hold =>
        {
            dispatcher.Hold(hold);
            _telemetry.Overloaded(hold);
        });
        var worker = new Worker<TKey, TValue>(dispatcher, executor, _telemetry, schedule, gate, stopping, abort.Token, batches, attempts, Room);
        if (_options.Concurrency.MessagesPerSecond is { } rate && Batches is null)
        {
            dispatcher.SetRate(rate);
        }

        _concurrency.Attach(dispatcher.SetLimit);
        _telemetry.ConcurrencyChanged(_concurrency.Limit, _concurrency.Reason);

        // One worker per possible handler: the limit (Dispatcher.Limit.cs) decides how many take work.
        var workers = Enumerable.Range(0, _concurrency.Max)
            .Select(_ => Task.Run(worker.RunAsync, CancellationToken.None))
            .ToArray();
        var polling = Task.Factory.StartNew(
            () => poll.Run(stopping.Token, abort),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        try
        {
            await polling.ConfigureAwait(false);
        }
        finally
        {
            _concurrency.Attach(null);
            dispatcher.Complete();
            Room?.Open(); // the poll loop may have ended without a stop (a fatal error): no worker waits for room any more
            await Task.WhenAll(workers).ConfigureAwait(false);
            await fleetStopping.CancelAsync().ConfigureAwait(false);
            await fleetRun.ConfigureAwait(false);
        }

        var stopped = Stopped(executor, poll);
        fleet?.PublishLast(stopped?.Message);
        if (stopped is not null)
        {
            throw stopped;
        }
    }

    private static ProcessorStoppedException? Stopped(MessageExecutor<TKey, TValue> executor, PollLoop poll) =>
        executor.StopReason is { } reason ? new ProcessorStoppedException(ProcessorStopReason.MessageFailed, $"The processor stopped because a message failed and OnFailure is StopProcessor: {reason.Message}", reason)
        : poll.Unavailable is { } unavailable ? new ProcessorStoppedException(ProcessorStopReason.Unavailable, $"The processor stopped because it could not start (FailWhenUnavailable): {unavailable}.")
        : poll.Fatal is { } fatal ? new ProcessorStoppedException(ProcessorStopReason.ClientFatal, $"The processor stopped on a fatal client error: {fatal.Reason}")
        : null;

    /// <summary>Stops a run in progress as cancelling it would (drain, commit, leave the group) and waits for it to end.</summary>
    public ValueTask DisposeAsync() => _run.DisposeAsync();
}

using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Diagnostics;
using Conveyor.Processing.Commits;
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
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public sealed class KafkaProcessor<TKey, TValue> : IAsyncDisposable
{
    private readonly KafkaClientProperties _client;
    private readonly ProcessorOptions _options;
    private readonly MessageHandler<TKey, TValue> _handler;
    private readonly IDeserializer<TKey> _keys;
    private readonly IDeserializer<TValue> _values;
    private readonly ProcessorTelemetry _telemetry;
    private readonly TransactionCoordinator? _transactions;
    private int _started;

    /// <summary>Creates a processor; checks the options and the client properties before anything connects.</summary>
    /// <param name="client">Bootstrap servers and librdkafka properties.</param>
    /// <param name="options">How to process.</param>
    /// <param name="handler">Called for each message.</param>
    /// <param name="keyDeserializer">Key deserializer; default: UTF-8 for strings, raw for byte arrays, JSON otherwise.</param>
    /// <param name="valueDeserializer">Value deserializer; same defaults.</param>
    /// <param name="observer">Hears rebalances, commits, retries, dead letters and stops.</param>
    /// <exception cref="KafkaConfigurationException">Listing every problem with the options and properties.</exception>
    public KafkaProcessor(
        KafkaClientProperties client,
        ProcessorOptions options,
        MessageHandler<TKey, TValue> handler,
        IDeserializer<TKey>? keyDeserializer = null,
        IDeserializer<TValue>? valueDeserializer = null,
        IProcessorObserver? observer = null)
        : this(client, options, handler, keyDeserializer, valueDeserializer, observer, transactions: null)
    {
    }

    /// <summary>With <paramref name="transactions"/>: commits go into its transactions (exactly-once forwarding).</summary>
    internal KafkaProcessor(
        KafkaClientProperties client,
        ProcessorOptions options,
        MessageHandler<TKey, TValue> handler,
        IDeserializer<TKey>? keyDeserializer,
        IDeserializer<TValue>? valueDeserializer,
        IProcessorObserver? observer,
        TransactionCoordinator? transactions,
        bool validateOnly = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        var problems = options.Validate().ToList();
        if (options.Guarantee == DeliveryGuarantee.ExactlyOnce && transactions is null && !validateOnly)
        {
            problems.Add("Guarantee ExactlyOnce needs outputs to commit with the offsets: use a KafkaForwarder.");
        }

        try
        {
            client.Validate();
        }
        catch (KafkaConfigurationException e)
        {
            problems.AddRange(e.Problems);
        }

        if (problems.Count > 0)
        {
            throw new KafkaConfigurationException(problems);
        }

        _client = client;
        _options = options;
        _handler = handler;
        _keys = keyDeserializer ?? DefaultDeserializer<TKey>();
        _values = valueDeserializer ?? DefaultDeserializer<TValue>();
        var properties = client.ToDictionary();
        _telemetry = new ProcessorTelemetry(observer ?? new SilentObserver(), options.GroupId, text => SecretProperties.Redact(text, properties));
        _transactions = transactions;
    }

    /// <summary>A snapshot of the processor's state: running or not, last poll, stopped partitions. Thread-safe.</summary>
    public ProcessorStatus Status => _telemetry.Status;

    /// <summary>
    /// Processes until <paramref name="cancellationToken"/> is cancelled, then stops cleanly: no more
    /// fetching, running handlers finish (up to <see cref="ProcessorOptions.ShutdownTimeout"/>),
    /// finished offsets are committed, the group is left. A processor runs once.
    /// </summary>
    /// <exception cref="ProcessorStoppedException">A message failed with <see cref="FailureAction.StopProcessor"/>, or the client failed fatally.</exception>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("A processor runs once; create a new one to run again.");
        }

        _telemetry.Start();
        try
        {
            await RunEngineAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _telemetry.Stop(e.Message);
            throw;
        }

        _telemetry.Stop(failure: null);
    }

    private async Task RunEngineAsync(CancellationToken cancellationToken)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var abort = new CancellationTokenSource();
        using var deadLetters = _options.OnFailure is FailureAction.DeadLetter or FailureAction.RetryTopics
            ? new DeadLetterPublisher(_client, _options, _telemetry.OnError, _telemetry.ClientLog)
            : null;
        var dispatcher = new Dispatcher();
        var executor = new MessageExecutor<TKey, TValue>(_options, _telemetry.Wrap(_handler), _keys, _values, deadLetters, _telemetry);
        var schedule = new CommitSchedule(_options.CommitInterval, _options.CommitEveryMessages);
        using var poll = new PollLoop(ConsumerSettings.For(_client, _options), _options, dispatcher, schedule, _telemetry, _telemetry, _transactions);
        var gate = _transactions?.Gate;

        var workers = Enumerable.Range(0, _options.MaxConcurrency)
            .Select(_ => Task.Run(() => WorkAsync(dispatcher, executor, _telemetry, schedule, gate, stopping, abort.Token), CancellationToken.None))
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
            dispatcher.Complete();
            await Task.WhenAll(workers).ConfigureAwait(false);
        }

        if (executor.StopReason is { } reason)
        {
            throw new ProcessorStoppedException($"The processor stopped because a message failed and OnFailure is StopProcessor: {reason.Message}", reason);
        }

        if (poll.Unavailable is { } unavailable)
        {
            throw new ProcessorStoppedException($"The processor stopped because it could not start within {_options.UnavailableTimeout} (FailWhenUnavailable): {unavailable}.");
        }

        if (poll.Fatal is { } fatal)
        {
            throw new ProcessorStoppedException($"The processor stopped on a fatal client error: {fatal.Reason}");
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static async Task WorkAsync(
        Dispatcher dispatcher,
        MessageExecutor<TKey, TValue> executor,
        ProcessorTelemetry telemetry,
        CommitSchedule schedule,
        TransactionGate? gate,
        CancellationTokenSource stopping,
        CancellationToken abort)
    {
        await foreach (var item in dispatcher.Ready.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (gate is not null)
            {
                // Exactly-once: no message runs while a transaction commits.
                await gate.EnterAsync().ConfigureAwait(false);
            }

            if (!dispatcher.TryStart(item))
            {
                gate?.Exit();
                continue;
            }

            var scope = telemetry.StartMessage(item);
            var outcome = ExecutionOutcome.Abandoned;
            try
            {
                outcome = await executor.ExecuteAsync(item, stopping.Token, abort).ConfigureAwait(false);
            }
            finally
            {
                ProcessorTelemetry.EndMessage(scope, abandoned: outcome == ExecutionOutcome.Abandoned);
            }

            switch (outcome)
            {
                case ExecutionOutcome.StopPartition:
                    dispatcher.Stop(item.Partition);
                    break;
                case ExecutionOutcome.StopProcessor:
                    dispatcher.Stop(item.Partition);
                    await stopping.CancelAsync().ConfigureAwait(false);
                    break;
            }

            dispatcher.Finish(item, outcome == ExecutionOutcome.Finished);
            if (outcome == ExecutionOutcome.Finished)
            {
                schedule.MessageFinished();
            }

            gate?.Exit();
        }
    }

    private static IDeserializer<T> DefaultDeserializer<T>() => typeof(T) switch
    {
        var t when t == typeof(string) => (IDeserializer<T>)Deserializers.Utf8,
        var t when t == typeof(byte[]) => (IDeserializer<T>)Deserializers.ByteArray,
        var t when t == typeof(Null) => (IDeserializer<T>)Deserializers.Null,
        var t when t == typeof(Ignore) => (IDeserializer<T>)Deserializers.Ignore,
        _ => new JsonValueSerializer<T>(),
    };

    private sealed class SilentObserver : IProcessorObserver;
}

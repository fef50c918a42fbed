using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Processing;
using Conveyor.Processing.Completions;
using Conveyor.Processing.Engine;
using Conveyor.Processing.Forwarding;
using Conveyor.Processing.Transactions;
using Conveyor.Serialization;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// A whole processor (poll loop, dispatcher, workers) on a <see cref="FakeConsumer"/>. The handler
/// records when each message starts and finishes, and holds the messages a test asks it to hold
/// until the test releases them.
/// </summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    public static readonly TopicPartition P0 = new("orders", 0);
    public static readonly TopicPartition P1 = new("orders", 1);
    public static readonly TopicPartition P2 = new("orders", 2);

    internal static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly ConcurrentDictionary<TopicPartitionOffset, TaskCompletionSource> _held = new();
    private readonly ConcurrentDictionary<TopicPartitionOffset, bool> _failOnce = new();
    private readonly ConcurrentDictionary<TopicPartitionOffset, bool> _failAlways = new();
    private readonly ConcurrentDictionary<(TopicPartitionOffset Message, int Attempt), TaskCompletionSource> _attempted = new();
    private readonly ConcurrentQueue<(TopicPartitionOffset Message, int Attempt)> _attempts = new();
    private readonly ConcurrentDictionary<TopicPartitionOffset, TaskCompletionSource> _started = new();
    private readonly ConcurrentDictionary<(TopicPartitionOffset Message, int Times), TaskCompletionSource> _finished = new();
    private readonly ConcurrentDictionary<TopicPartitionOffset, int> _finishCounts = new();
    private readonly ConcurrentQueue<(TopicPartitionOffset Message, string Key)> _startOrder = new();
    private readonly ConcurrentQueue<(TopicPartitionOffset Message, string Key)> _finishOrder = new();
    private readonly ConcurrentDictionary<string, int> _runningPerKey = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<FakeConsumer> _consumer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<IReadOnlyList<string>> _failureTopicsLookedUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _running;
    private bool _endJudged;
    private KafkaProcessor<string, string>? _processor;
    private readonly TimeSpan? _handlerTime;
    private TransactionCoordinator? _coordinator;
    private TransactionalWrites? _writes;

    /// <param name="options">The processor's options; <see cref="Defaults"/> when null.</param>
    /// <param name="exactlyOnce">Commits through transactions of a <see cref="RecordingTransactionalProducer"/>, into which each handler writes its input's outputs as it ends.</param>
    /// <param name="handlerTime">How long each handler call takes (a slow handler), after it started; none when null.</param>
    public EngineHarness(ProcessorOptions? options = null, bool exactlyOnce = false, TimeSpan? handlerTime = null)
    {
        Options = options ?? Defaults();
        _handlerTime = handlerTime;
        Transactions = exactlyOnce ? new RecordingTransactionalProducer(offsets => Consumer.StoreTransactionOffsets(offsets)) : null;
    }

    /// <summary>Commits only when a test's options say so (a long interval, no commit of quiet partitions), so the commits a test sees are the ones it causes.</summary>
    public static ProcessorOptions Defaults() => new()
    {
        GroupId = "engine-tests",
        Topics = ["orders"],
        CommitInterval = TimeSpan.FromMinutes(10),
        IdleCommitDelay = Timeout.InfiniteTimeSpan,
        MaxConcurrency = 8,
    };

    /// <summary>Exactly-once options: partition ordering, a transactional id, commits only when a test causes them.</summary>
    public static ProcessorOptions ExactlyOnceDefaults() => Defaults() with
    {
        Guarantee = DeliveryGuarantee.ExactlyOnce,
        Ordering = OrderingMode.Partition,
        TransactionalId = "engine-tests-txn",
    };

    public ProcessorOptions Options { get; }

    /// <summary>Whether an operator paused a partition (the fleet's operator state, in place of a control topic).</summary>
    public Func<TopicPartition, bool>? PausedByOperator { get; init; }

    /// <summary>The consumer factory reaches no native handle (as with a Confluent.Kafka version that hides it): no commits with metadata.</summary>
    public bool HidesNativeHandle { get; init; }

    /// <summary>
    /// Exactly-once: each handler writes one output through the forwarder's own path
    /// (<see cref="TransactionalWrites"/> on an <c>OutputProducer</c> over <see cref="Transactions"/>),
    /// so that the producer's failed writes (<see cref="RecordingTransactionalProducer.Rejects"/>) reach the engine as a forwarder's do.
    /// </summary>
    public bool WritesOutputs { get; init; }

    /// <summary>The transactional producer, in exactly-once mode.</summary>
    public RecordingTransactionalProducer? Transactions { get; }

    public RecordingObserver Observer { get; } = new();

    /// <summary>The processor's status now, as a user reads it.</summary>
    public ProcessorStatus Status => (_processor ?? throw new InvalidOperationException("Not started.")).Status;

    public FakeConsumer Consumer => _consumer.Task.IsCompleted ? _consumer.Task.Result : throw new InvalidOperationException("Not started.");

    /// <summary>The messages as their handlers started and finished, with their keys.</summary>
    public IReadOnlyList<(TopicPartitionOffset Message, string Key)> StartOrder => [.. _startOrder];

    public IReadOnlyList<(TopicPartitionOffset Message, string Key)> FinishOrder => [.. _finishOrder];

    /// <summary>Whether two handlers of one key in one partition ever ran at the same time.</summary>
    public bool KeyOverlapped { get; private set; }

    /// <summary>
    /// The production runtime, except that the failure topics' look-up at the first assignment is
    /// answered here (none missing; <paramref name="lookedUp"/> hears the topics) instead of by an admin client of its
    /// own: against the fake consumer's <c>fake:9092</c> that client waited its whole 5 s timeout,
    /// on a thread of its own, in every test.
    /// </summary>
    internal static EngineRuntime NoClusterRuntime(TaskCompletionSource<IReadOnlyList<string>>? lookedUp = null) => new()
    {
        FindMissingTopics = (_, topics) =>
        {
            lookedUp?.TrySetResult(topics);
            return [];
        },
    };

    /// <summary>Completes with the failure topics the engine looked up at its first assignment.</summary>
    public Task<IReadOnlyList<string>> FailureTopicsLookedUp => _failureTopicsLookedUp.Task.WaitAsync(Patience);

    /// <summary>Starts the processor; returns its consumer once the poll loop made it.</summary>
    public async Task<FakeConsumer> StartAsync()
    {
        var telemetry = ProcessorSetup.Telemetry(new KafkaClientProperties("fake:9092"), Options, Observer);
        if (Transactions is not null)
        {
            _coordinator = new TransactionCoordinator(Transactions, Options.TransactionTimeout, telemetry, retryDelay: TimeSpan.FromMilliseconds(1), stuckAfter: TimeSpan.FromMilliseconds(300));
            _coordinator.Start();
            if (WritesOutputs)
            {
                _writes = new TransactionalWrites(new OutputProducer(Transactions), _coordinator, _ => { }, _stop.Token);
            }
        }

        var processor = new KafkaProcessor<string, string>(
            new KafkaClientProperties("fake:9092"),
            Options,
            StagedHandlers.From<string, string>(HandleAsync),
            MessageDeserializer<string>.Of((IDeserializer<string>?)null),
            MessageDeserializer<string>.Of((IDeserializer<string>?)null),
            telemetry,
            transactions: _coordinator,
            consumers: new Factory(_consumer, HidesNativeHandle))
        {
            PausedByOperator = PausedByOperator,
            Runtime = NoClusterRuntime(_failureTopicsLookedUp),
        };
        _processor = processor;
        _running = Task.Run(() => processor.RunAsync(_stop.Token));
        return await _consumer.Task.WaitAsync(Patience);
    }

    /// <summary>The handler of this message throws at every attempt (its failure action follows the last).</summary>
    public void FailAlways(TopicPartition partition, long offset) => _failAlways[new TopicPartitionOffset(partition, offset)] = true;

    /// <summary>Completes when the handler of this message started this attempt (<see cref="MessageContext{TKey, TValue}.Attempt"/>).</summary>
    public Task Attempted(TopicPartition partition, long offset, int attempt) => Gate(_attempted, (new TopicPartitionOffset(partition, offset), attempt)).Task.WaitAsync(Patience);

    /// <summary>The attempt numbers the handler saw for this message, in order.</summary>
    public IReadOnlyList<int> AttemptsOf(TopicPartition partition, long offset) =>
        [.. _attempts.Where(a => a.Message == new TopicPartitionOffset(partition, offset)).Select(a => a.Attempt)];

    /// <summary>The handler of this message throws at its first attempt (it is retried after the back-off).</summary>
    public void FailOnce(TopicPartition partition, long offset) => _failOnce[new TopicPartitionOffset(partition, offset)] = true;

    /// <summary>The handler of this message waits until <see cref="Release"/>.</summary>
    public void Hold(TopicPartition partition, long offset) => Gate(_held, new TopicPartitionOffset(partition, offset));

    public void Release(TopicPartition partition, long offset) => Gate(_held, new TopicPartitionOffset(partition, offset)).TrySetResult();

    public Task Started(TopicPartition partition, long offset) => Gate(_started, new TopicPartitionOffset(partition, offset)).Task.WaitAsync(Patience);

    /// <summary>
    /// Completes once the message's handler has finished <paramref name="times"/> times: a message
    /// handled again in a later assignment of its partition is the same offset, so its first
    /// finish says nothing of the later ones.
    /// </summary>
    public Task Finished(TopicPartition partition, long offset, int times = 1) => Gate(_finished, (new TopicPartitionOffset(partition, offset), times)).Task.WaitAsync(Patience);

    public bool HasStarted(TopicPartition partition, long offset) => Gate(_started, new TopicPartitionOffset(partition, offset)).Task.IsCompleted;

    public bool HasFinished(TopicPartition partition, long offset) => Gate(_finished, (new TopicPartitionOffset(partition, offset), 1)).Task.IsCompleted;

    /// <summary>Asks the processor to stop; completes when it has (drained, committed, closed).</summary>
    public Task StopAsync()
    {
        _stop.Cancel();
        return Running.WaitAsync(Patience);
    }

    /// <summary>The processor's run; completes when it stops. A test that asks for it judges how the run ended.</summary>
    public Task Running
    {
        get
        {
            _endJudged = true;
            return _running ?? throw new InvalidOperationException("Not started.");
        }
    }

    /// <summary>
    /// Stops the processor. Unless the test judged how the run ended (<see cref="Running"/>,
    /// <see cref="StopAsync"/>), a run that ended with an exception, or did not stop in time,
    /// fails the test here: nothing a test did not look at is swallowed.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var held in _held.Values)
        {
            held.TrySetResult();
        }

        try
        {
            if (_running is not null)
            {
                await _stop.CancelAsync();
                var ended = _running.WaitAsync(Patience);
                if (_endJudged)
                {
                    await ended.ContinueWith(_ => { }, TaskScheduler.Default); // the test has seen it
                }
                else
                {
                    await ended;
                }
            }
        }
        finally
        {
            _stop.Dispose();
        }
    }

    private static TaskCompletionSource Gate<TMessage>(ConcurrentDictionary<TMessage, TaskCompletionSource> gates, TMessage message)
        where TMessage : notnull =>
        gates.GetOrAdd(message, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private async ValueTask HandleAsync(MessageContext<string, string> message, CancellationToken cancellationToken)
    {
        var position = new TopicPartitionOffset(message.Topic, message.Partition, message.Offset);
        var lane = $"{message.Partition}/{message.Key}"; // ordering is per key within a partition
        if (_runningPerKey.AddOrUpdate(lane, 1, (_, running) => running + 1) > 1)
        {
            KeyOverlapped = true;
        }

        _startOrder.Enqueue((position, message.Key));
        _attempts.Enqueue((position, message.Attempt));
        Gate(_started, position).TrySetResult();
        Gate(_attempted, (position, message.Attempt)).TrySetResult();
        try
        {
            if (_failOnce.TryRemove(position, out _))
            {
                throw new InvalidOperationException($"{position} fails once");
            }

            if (_held.TryGetValue(position, out var hold))
            {
                await hold.Task; // not the token: a held handler runs on until released, as a slow one would
            }

            if (_failAlways.ContainsKey(position))
            {
                throw new InvalidOperationException($"{position} fails at every attempt"); // after a hold: a held message fails when released
            }

            if (_handlerTime is { } time)
            {
                await Task.Delay(time, CancellationToken.None); // the handler's own work, not a wait for the test
            }
        }
        finally
        {
            _runningPerKey.AddOrUpdate(lane, 0, (_, running) => running - 1);
        }

        if (_writes is not null)
        {
            // The output names its input, so the recording producer knows whose it is.
            var output = OutputRecord.Utf8("orders-out", message.Key, message.Value) with { Headers = [new Header(RecordingTransactionalProducer.InputHeader, Encoding.UTF8.GetBytes(RecordingTransactionalProducer.Describe(position)))] };
            await _writes.WriteAsync(message.Item!, [output], cancellationToken);
        }
        else
        {
            // As an exactly-once forwarder writes: holding the commit gate from its first output, and
            // writing nothing when its partition went meanwhile (revoked, lost, or rewound by an abort).
            if (_coordinator is not null && !await _coordinator.Gate.EnterAsync(message.Item!))
            {
                throw new DeclinedMessageException();
            }

            Transactions?.Write(position);
            _coordinator?.Produced();
        }

        _finishOrder.Enqueue((position, message.Key));
        Gate(_finished, (position, _finishCounts.AddOrUpdate(position, 1, (_, times) => times + 1))).TrySetResult();
    }

    private sealed class Factory(TaskCompletionSource<FakeConsumer> made, bool hidesNativeHandle) : IConsumerFactory
    {
        public IConsumer<byte[]?, byte[]?> Create(ConsumerCallbacks callbacks)
        {
            var consumer = new FakeConsumer(callbacks);
            made.TrySetResult(consumer);
            return consumer;
        }

        public IOffsetsWithMetadata? OffsetsWithMetadata(IConsumer<byte[]?, byte[]?> consumer) => hidesNativeHandle ? null : (FakeConsumer)consumer;
    }
}

/// <summary>Records the processor's events.</summary>
internal sealed class RecordingObserver : IProcessorObserver
{
    private readonly ConcurrentQueue<string> _events = new();
    private readonly TaskCompletionSource<(TopicPartitionOffset, Exception)> _firstStop = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<string> Events => [.. _events];

    public ConcurrentQueue<(IReadOnlyList<TopicPartitionOffset> Offsets, Error Error)> CommitFailures { get; } = new();

    public ConcurrentQueue<(IReadOnlyList<TopicPartition> Partitions, bool Paused)> BackPressure { get; } = new();

    public void OnPartitionsRevoked(IReadOnlyList<TopicPartition> partitions) => _events.Enqueue($"revoked {string.Join(",", partitions)}");

    public void OnPartitionsLost(IReadOnlyList<TopicPartition> partitions) => _events.Enqueue($"lost {string.Join(",", partitions)}");

    public void OnCommitFailed(IReadOnlyList<TopicPartitionOffset> offsets, Error error) => CommitFailures.Enqueue((offsets, error));

    public void OnBackPressure(IReadOnlyList<TopicPartition> partitions, bool paused) => BackPressure.Enqueue((partitions, paused));

    public void OnError(Error error) => _events.Enqueue($"error {error.Code}: {error.Reason}");

    /// <summary>Completes with the first partition stopped by its failure action: the message and why.</summary>
    public Task<(TopicPartitionOffset Message, Exception Exception)> FirstStop => _firstStop.Task.WaitAsync(EngineHarness.Patience);

    public void OnPartitionStopped(TopicPartitionOffset message, Exception exception)
    {
        _events.Enqueue($"stopped {message}: {exception.Message}");
        _firstStop.TrySetResult((message, exception));
    }

    /// <summary>Read when a stall is reported, so a test sees the status as the report left it.</summary>
    public Func<ProcessorStatus>? StatusAtStall { get; set; }

    /// <summary>Each reported stall with the stalled partitions the status showed at that moment.</summary>
    public ConcurrentQueue<(TopicPartitionOffset Position, long End, IReadOnlyList<TopicPartitionOffset> StatusShowed)> Stalls { get; } = new();

    public ConcurrentQueue<TopicPartition> StallsEnded { get; } = new();

    public void OnPartitionStalled(TopicPartitionOffset position, long endOffset, TimeSpan idle) =>
        Stalls.Enqueue((position, endOffset, StatusAtStall?.Invoke().StalledPartitions ?? []));

    public void OnPartitionStallEnded(TopicPartition partition) => StallsEnded.Enqueue(partition);
}

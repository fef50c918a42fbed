using Confluent.Kafka;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Completions;
using Conveyor.Processing.RetryTopics;

namespace Conveyor.Processing.Engine;

/// <summary>
/// The only thread that touches the consumer. Each turn it runs the commands posted to it, applies
/// flow control (pauses and resumes partitions), watches for stalls, commits when due, and feeds the
/// dispatcher; rebalances arrive inside the feeder's <c>Consume</c> and go to the
/// <see cref="RebalanceHandler"/>. Handlers never run here, so a slow handler cannot delay polling
/// past <c>max.poll.interval.ms</c>. The parts are built once, here: the commit strategy by the
/// delivery guarantee, and a part for each optional feature whether it is on or not.
/// </summary>
internal sealed class PollLoop : IDisposable
{
    private readonly ProcessorOptions _options;
    private readonly Dispatcher _dispatcher;
    private readonly IEngineEvents _observer;
    private readonly TimeProvider _clock;
    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    private readonly AvailabilityWatch _availability;
    private readonly string _bootstrapServers;
    private readonly OwnedPartitions _partitions;
    private readonly StallWatchdog _watchdog;
    private readonly ConsumerPositions _positions;
    private readonly ClientPauses _pauses;
    private readonly ICommitStrategy _commits;
    private readonly FlowControl _flow;
    private readonly Feeder _feeder;
    private readonly RebalanceHandler _rebalances;
    private readonly BufferReport _bufferReport;

    /// <param name="config">The consumer's settings: where consumption starts, and how to ask the cluster why nothing is assigned.</param>
    /// <param name="consumers">Makes the consumer (tests pass a fake).</param>
    /// <param name="options">How to process.</param>
    /// <param name="dispatcher">Takes the fetched messages.</param>
    /// <param name="schedule">When to commit.</param>
    /// <param name="observer">Hears what happens: the observer events, polls, commit times and the buffer.</param>
    /// <param name="transactions">Exactly-once: offsets go into these transactions.</param>
    /// <param name="clock">The engine's time; the system's when null.</param>
    /// <param name="pausedByOperator">Whether an operator paused a partition (<see cref="OperatorHolds"/>); none when null.</param>
    public PollLoop(
        ConsumerConfig config,
        IConsumerFactory consumers,
        ProcessorOptions options,
        Dispatcher dispatcher,
        CommitSchedule schedule,
        IEngineEvents observer,
        Transactions.TransactionCoordinator? transactions = null,
        TimeProvider? clock = null,
        Func<TopicPartition, bool>? pausedByOperator = null)
    {
        _options = options;
        _dispatcher = dispatcher;
        _observer = observer;
        _clock = clock ?? dispatcher.Runtime.Time;

        // Before the consumer: its log lines (possibly on librdkafka's threads) reach the watch.
        _availability = new AvailabilityWatch(config, options, observer, asksCluster: dispatcher.Runtime.AsksCluster, findMissing: dispatcher.Runtime.FindMissingTopics);
        _bootstrapServers = config.BootstrapServers;
        // Rebalances arrive only from inside Consume, so never before the handler below exists.
        _consumer = consumers.Create(new ConsumerCallbacks(
            (_, partitions) => _rebalances!.OnAssigned(partitions),
            (_, revoked) => _rebalances!.OnRevoked(revoked),
            (_, lost) => _rebalances!.OnLost(lost),
            (_, error) => OnError(error),
            (_, message) => OnClientLog(message),
            (_, json) => _observer.Statistics(json)));

        _watchdog = new StallWatchdog(options.StallTimeout, observer, new EngineClock(_clock), dispatcher.Runtime.Bugs);
        _positions = new ConsumerPositions(_consumer, resetToEarliest: config.AutoOffsetReset == AutoOffsetReset.Earliest);
        _partitions = new OwnedPartitions(dispatcher, _watchdog);
        _pauses = new ClientPauses(_consumer, observer);
        var rebalanceHold = new RebalanceHold();
        CompletionStore? store;
        try
        {
            store = CompletionStore.For(() => consumers.OffsetsWithMetadata(_consumer), options, observer);
        }
        catch (ProcessorStoppedException)
        {
            _consumer.Dispose(); // refused to start: nothing else holds the consumer yet
            throw;
        }

        var completions = PersistedCompletions.For(
            store,
            _clock, dispatcher, _consumer, observer,
            runAhead: options.Guarantee == DeliveryGuarantee.AtLeastOnce && transactions is null && !dispatcher.Runtime.Bugs.HasFlag(ReintroducedBugs.NoRunAheadBound)
                ? options.MaxBufferedMessagesPerPartition : null);
        var context = new CommitContext(options, _consumer, dispatcher, _partitions, schedule, completions, rebalanceHold, _watchdog, observer, _clock, Stop);
        _commits = transactions is not null ? new TransactionalCommits(context, transactions)
            : options.Guarantee == DeliveryGuarantee.AtMostOnce ? new AtMostOnceCommits(context)
            : options.CommitMode == OffsetCommitMode.Asynchronous ? new AsynchronousCommits(context)
            : new SynchronousCommits(context);

        _flow = new FlowControl(options, dispatcher, _partitions, completions, rebalanceHold, _positions, _pauses, _watchdog, _consumer, observer);
        var retries = RetryTopicWaits.For(options, _consumer, _pauses, observer, _watchdog.Clock);
        _feeder = new Feeder(options, consumers.Messages(_consumer, observer.OnError), _consumer, dispatcher, _partitions, _commits, retries, _flow, _watchdog, observer, OnError);
        Holds = new OperatorHolds(options, _consumer, dispatcher, _partitions, _commits, completions, observer, _watchdog, pausedByOperator ?? (_ => false),
            resetToEarliest: config.AutoOffsetReset == AutoOffsetReset.Earliest);
        _rebalances = new RebalanceHandler(options, dispatcher, _partitions, _commits, completions, _watchdog, rebalanceHold, _pauses, _availability, observer, Holds);
        _bufferReport = new BufferReport(_partitions, dispatcher, observer);
    }

    /// <summary>Set when the client reported a fatal error, or the transactions failed fatally.</summary>
    public Error? Fatal { get; private set; }

    /// <summary>Set when the processor could not start and <see cref="ProcessorOptions.FailWhenUnavailable"/> is on.</summary>
    public string? Unavailable { get; private set; }

    /// <summary>Work for the poll thread, run at the start of its next turn.</summary>
    public PollCommands Commands { get; } = new();

    /// <summary>Operator pauses and rewinds (poll thread only: reach it through <see cref="Commands"/>).</summary>
    public OperatorHolds Holds { get; }

    /// <summary>Polls until <paramref name="stopping"/> is cancelled; then drains, commits and leaves the group.</summary>
    public void Run(CancellationToken stopping, CancellationTokenSource abort)
    {
        _consumer.Subscribe(RetryRoute.Subscriptions(_options));
        _commits.Start(Now);
        try
        {
            while (!stopping.IsCancellationRequested && Fatal is null && Unavailable is null)
            {
                _observer.Polled();
                Commands.RunPending();
                Holds.Reconcile();
                var now = Now;
                Unavailable = _availability.Check(now);
                _flow.ApplyBackPressure(now);
                WatchForStalls();
                _bufferReport.Report(now);
                _commits.Tick(now);
                _feeder.Feed(stopping, now);
            }
        }
        finally
        {
            Shutdown(abort);
        }
    }

    public void Dispose()
    {
        (_commits as IDisposable)?.Dispose(); // after Shutdown's close, whose revoke may still commit
        _consumer.Dispose();
    }

    /// <summary>The engine's time (<see cref="EngineClock"/>): a step of the wall clock neither delays a commit nor fires one early.</summary>
    private DateTime Now => _watchdog.Clock.Now;

    /// <summary>
    /// Reports partitions that have messages to read but deliver nothing although the engine does
    /// not hold them, and resumes them in the client, which may hold them without the engine knowing.
    /// </summary>
    private void WatchForStalls()
    {
        var now = _watchdog.Now;
        if (_flow.AllPaused || _feeder.TotalBufferFull())
        {
            _watchdog.HeldAll(now);
        }

        if (_watchdog.Check(now, _partitions.Values, _positions) is { } stalled && !_dispatcher.Runtime.Bugs.HasFlag(ReintroducedBugs.NoStallRescue))
        {
            _pauses.ResumeInClient([.. stalled.Select(p => p.TopicPartition)]);
        }
    }

    /// <summary>Stops at the next turn: the error is reported already.</summary>
    private void Stop(Error error) => Fatal = error;

    private void OnClientLog(LogMessage message)
    {
        if (GroupProtocolCheck.Problem(message, _bootstrapServers) is { } problem)
        {
            _availability.Definite(problem);
        }

        _observer.ClientLog(message);
    }

    private void OnError(Error error)
    {
        _availability.Noted(error);
        _observer.OnError(error);
        if (error.IsFatal)
        {
            Fatal = error;
        }
    }

    /// <summary>Drains every owned partition (telling handlers past the stop timeout to give up), commits for the last time, and leaves the group.</summary>
    private void Shutdown(CancellationTokenSource abort)
    {
        var partitions = _partitions.Values.ToList();
        var drained = _dispatcher.DrainAsync(partitions);
        var runtime = _dispatcher.Runtime;
        if (!runtime.Wait(drained, _options.ShutdownTimeout))
        {
            // Handlers past the stop timeout are told to give up; their messages stay unfinished.
            abort.Cancel();
            runtime.Wait(drained, TimeSpan.FromSeconds(5));
        }

        _commits.Stopping(partitions);
        try
        {
            _consumer.Close(); // leaves the group now, so the others need not wait for a session timeout
        }
        catch (KafkaException e)
        {
            _observer.OnError(e.Error);
        }
    }
}

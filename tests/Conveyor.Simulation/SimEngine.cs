using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Completions;
using Conveyor.Processing.Engine;
using Conveyor.Serialization;
using Conveyor.Simulation.Pipelines;

namespace Conveyor.Simulation;

/// <summary>
/// One incarnation of the real engine (poll loop, dispatcher, workers, executor, commits) on the
/// simulated consumer, clock and scheduler. <see cref="Run"/> runs the poll loop on this thread
/// until the world stops it, kills it or finds a violation; workers run as the scheduler's events.
/// </summary>
internal sealed class SimEngine : IConsumerFactory
{
    private readonly SimWorld _world;
    private readonly SimMember _member;
    private readonly int _incarnation;
    private readonly Dictionary<(int, long), int> _deliveries = [];
    private readonly SimPipeline _pipeline;

    public SimEngine(SimWorld world, SimMember member, ReintroducedBugs bugs)
    {
        _world = world;
        _member = member;
        var incarnation = _incarnation = member.OwnerTag;
        var schedule = world.Cluster.Schedule;
        Options = world.Settings;
        var jitter = world.Streams.For(RandomPurpose.Jitter, member.Id);
        var runtime = new EngineRuntime
        {
            Time = new SimClock(world.Scheduler, incarnation, () => world.Cluster.WallOffset),
            Jitter = jitter.NextDouble,
            Wait = Wait,
            Post = (continuation, state) => world.Scheduler.Post(() => continuation(state), incarnation),
            Run = action => RunLater(world, member, action),
            AsksCluster = false,
            Bugs = bugs,
        };
        var batches = world.Pipelines.Kind == Pipeline.Batches;
        Dispatcher = new Dispatcher(batches ? Options.Batch : null, runtime);
        var events = new SimEvents(world, () => Dispatcher, Options);
        _pipeline = new SimPipeline(world, member, runtime, Options, events);
        var executor = new MessageExecutor<byte[], byte[]>(
            Options, Handle, MessageDeserializer<byte[]>.Of((IDeserializer<byte[]>?)null), MessageDeserializer<byte[]>.Of((IDeserializer<byte[]>?)null),
            DeadLetters(world, incarnation, runtime), events, runtime);
        var schedule1 = new CommitSchedule(Options.CommitInterval, Options.CommitEveryMessages);
        Poll = new PollLoop(
            new ConsumerConfig { BootstrapServers = "sim:9092", GroupId = Options.GroupId, AutoOffsetReset = AutoOffsetReset.Earliest },
            this, Options, Dispatcher, schedule1, events, _pipeline.Transactions, clock: runtime.Time);
        var runs = batches ? new Processing.Batching.BatchExecutor<byte[], byte[]>(new SimBatchHandler(world, member).Handle, executor) : null;
        var worker = new Worker<byte[], byte[]>(Dispatcher, executor, events, schedule1, _pipeline.Transactions?.Gate, Stopping, Abort.Token, runs, room: _pipeline.Room);
        for (var i = 0; i < Options.MaxConcurrency; i++)
        {
            _ = worker.RunAsync(); // runs to its first wait here; the scheduler runs the rest
        }
    }

    public ProcessorOptions Options { get; }

    public Dispatcher Dispatcher { get; }

    public PollLoop Poll { get; }

    public SimConsumer? Consumer { get; private set; }

    public CancellationTokenSource Stopping { get; } = new();

    public CancellationTokenSource Abort { get; } = new();

    /// <summary>The stall watchdog's timeout in a simulation: with its one-second rounds, well inside <see cref="InvariantChecker.ProgressBound"/>.</summary>
    public static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(10);

    /// <summary>A churn schedule's commit interval: longer than the time between its kills, so progress must come from commits the interval does not wait for.</summary>
    public static readonly TimeSpan ChurnCommitInterval = TimeSpan.FromSeconds(5);

    /// <summary>The engine's settings for a schedule: small buffers so back-pressure acts on a few dozen messages.</summary>
    public static ProcessorOptions Settings(Schedule schedule) => new()
    {
        GroupId = "sim",
        Topics = [SimCluster.Topic],
        Ordering = schedule.Ordering,
        MaxConcurrency = 4,
        CommitInterval = schedule.Churn ? ChurnCommitInterval : TimeSpan.FromSeconds(1),

        // Off unless asked for (--idle-commits): the pinned seeds and the churn schedules' premise
        // (only the run-ahead bound's early commit makes progress) were found without it.
        IdleCommitDelay = schedule.IdleCommits ? new ProcessorOptions().IdleCommitDelay : Timeout.InfiniteTimeSpan,
        PersistCompletions = schedule.PersistCompletions,
        CommitMode = schedule.AsyncCommits ? OffsetCommitMode.Asynchronous : OffsetCommitMode.Synchronous,
        RevokeTimeout = TimeSpan.FromSeconds(3),
        StallTimeout = StallTimeout, // below the checker's progress bound, so the watchdog's rescue can decide a run
        ShutdownTimeout = TimeSpan.FromSeconds(10),
        UnavailableTimeout = TimeSpan.FromHours(1),
        MaxBufferedMessagesPerPartition = schedule.LargeFetches ? 100 : 8, // fairness schedules: a partition under its own limit can fill the whole buffer
        MaxBufferedMessages = schedule.LargeFetches ? 40 : 20,
        Retry = new RetryOptions { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(2) },
        OnFailure = FailureAction.DeadLetter,
    };

    /// <summary>The failure action's writer: the real publisher on a simulated producer with retry topics, else simulated dead letters.</summary>
    private IDeadLetterWriter DeadLetters(SimWorld world, int incarnation, EngineRuntime runtime) =>
        world.Pipelines.Kind == Pipeline.RetryTopics
            ? new DeadLetterPublisher(new SimRetryProducer(world, incarnation), Options, runtime.Time)
            : new SimDeadLetters(world, incarnation);

    /// <summary>Runs the poll loop until it stops; true when it stopped cleanly, false when the process was killed.</summary>
    public bool Run()
    {
        try
        {
            Poll.Run(Stopping.Token, Abort);
            return true;
        }
        catch (SimulatedCrash)
        {
            return false;
        }
        finally
        {
            Dispatcher.Complete();
            _pipeline.Room?.Open(); // as KafkaProcessor: no worker waits for room once the poll loop ended
        }
    }

    /// <summary>
    /// The engine's blocking wait (a drain, room in the buffer): on the member's poll thread it
    /// drives the simulation, the other members included, until the task completes, the timeout
    /// passes or the process is gone; anywhere else it runs this world's events in place.
    /// </summary>
    private bool Wait(Task task, TimeSpan timeout)
    {
        if (_member.Waiter is not { } waiter || waiter.Thread != Thread.CurrentThread)
        {
            return _world.Scheduler.Pump(() => task.IsCompleted, timeout, () => Consumer?.Gone ?? false);
        }

        var scheduler = _world.Scheduler;
        var deadline = timeout < TimeSpan.Zero || timeout.Ticks > long.MaxValue / 4 ? long.MaxValue : scheduler.Now + timeout.Ticks;
        _world.Baton.Wait(waiter, () => task.IsCompleted || (Consumer?.Gone ?? false), deadline);
        return task.IsCompleted;
    }

    /// <summary>Work the engine runs off the poll thread (asynchronous commit sends): an event 1-20 ms later, its outcome in the task.</summary>
    private static Task RunLater(SimWorld world, SimMember member, Action action)
    {
        var done = new TaskCompletionSource();
        var incarnation = member.OwnerTag;
        world.Scheduler.After(TimeSpan.FromMilliseconds(world.Streams.For(RandomPurpose.CommitSend, member.Id).Next(1, 21)), () =>
        {
            try
            {
                action();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }, incarnation);
        return done.Task;
    }

    IConsumer<byte[]?, byte[]?> IConsumerFactory.Create(ConsumerCallbacks callbacks) => Consumer = new SimConsumer(_world, _member, callbacks);

    IOffsetsWithMetadata? IConsumerFactory.OffsetsWithMetadata(IConsumer<byte[]?, byte[]?> consumer) => (SimConsumer)consumer;

    private static async Task RelayAsync(ValueTask<IPendingAcknowledgement?> handedOff, TaskCompletionSource<IPendingAcknowledgement?> done)
    {
        try
        {
            done.SetResult(await handedOff.ConfigureAwait(false));
        }
        catch (Exception e)
        {
            done.SetException(e);
        }
    }

    /// <summary>The handler: its duration and failure come from the seed per message, attempt and delivery.</summary>
    private ValueTask<IPendingAcknowledgement?> Handle(MessageContext<byte[], byte[]> message, CancellationToken cancellationToken)
    {
        var p = message.Partition;
        var offset = message.Offset;
        var key = message.Key is { Length: > 0 } k ? k[0] : (byte)0;
        if (message.Attempt == 1)
        {
            _deliveries[(p, offset)] = _deliveries.GetValueOrDefault((p, offset)) + 1;
        }

        var delivery = _deliveries.GetValueOrDefault((p, offset)) + (_incarnation * 100);
        var (duration, fails) = _world.Cluster.Schedule.LargeFetches
            ? (TimeSpan.FromMilliseconds(100), false) // fairness schedules: steady handlers slow enough that the buffer is pressed (over 0.5 s of work), so the turns decide who waits
            : Plan(p, offset, message.Attempt, delivery);
        _world.Pipelines.HandlerStarting(p, offset, message.Attempt);
        _world.Checker.HandlerStarted(_member.Id, p, offset, key, message.Attempt);
        var handsOff = !fails && _pipeline.HandsOff(p, offset); // finished only once its outputs are acknowledged
        var epoch = handsOff ? _world.Checker.EpochOf(_member.Id, p, offset) : 0;
        _world.Trace.Add($"{(_world.Members.Length > 1 ? $"member {_member.Id} " : string.Empty)}handler p{p}@{offset} key {(char)key} attempt {message.Attempt}: {duration.TotalMilliseconds:F0} ms{(fails ? ", fails" : string.Empty)}");
        if (duration == TimeSpan.Zero)
        {
            _world.Checker.HandlerEnded(_member.Id, p, offset, key, !fails && !handsOff);
            Handled(p, offset, fails);
            return fails ? ValueTask.FromException<IPendingAcknowledgement?>(new SimulatedFailure($"p{p}@{offset} fails"))
                : handsOff ? _pipeline.HandOffAsync(message, key, epoch, cancellationToken)
                : default;
        }

        var done = new TaskCompletionSource<IPendingAcknowledgement?>();
        _world.Scheduler.After(duration, () =>
        {
            _world.Checker.HandlerEnded(_member.Id, p, offset, key, !fails && !handsOff);
            Handled(p, offset, fails);
            if (fails)
            {
                done.SetException(new SimulatedFailure($"p{p}@{offset} fails"));
            }
            else if (handsOff)
            {
                _ = RelayAsync(_pipeline.HandOffAsync(message, key, epoch, cancellationToken), done);
            }
            else
            {
                done.SetResult(null);
            }
        }, _incarnation);
        return new ValueTask<IPendingAcknowledgement?>(done.Task);
    }

    /// <summary>A handler call's plan; a retry record's comes from its original message and the retry topic it is in, so a message that always fails (poison) fails on every hop and reaches the dead-letter topic.</summary>
    private (TimeSpan Duration, bool Fails) Plan(int partition, long offset, int attempt, int delivery)
    {
        var seed = _world.Cluster.Schedule.Seed;
        if (_world.Pipelines.Kind != Pipeline.RetryTopics)
        {
            return MessagePlan.Handler(seed, partition, offset, attempt, delivery);
        }

        var (p, o, hop) = _world.Pipelines.Retries.Origin(partition, offset);
        return MessagePlan.Handler(seed, p, o, attempt + (10 * hop), delivery);
    }

    private void Handled(int partition, long offset, bool failed)
    {
        if (_world.Pipelines.Kind == Pipeline.RetryTopics)
        {
            _world.Pipelines.Retries.Turns.Served(partition);
            if (!failed)
            {
                _world.Pipelines.Retries.Handled(partition, offset);
            }
        }
    }
}

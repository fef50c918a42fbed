using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.DeadLetters;
using Conveyor.Processing;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Completions;
using Conveyor.Processing.Engine;
using static Conveyor.Tests.Processing.Engine.EngineHarness;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// The poll loop alone (no workers) on a <see cref="FakeConsumer"/> and a clock the test moves:
/// what a simulator of the engine builds on. A message meant for another group is committed past
/// without a handler, so commits happen with no worker running.
/// </summary>
public sealed class PollLoopClockTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task The_commit_interval_passes_on_the_clock_the_loop_is_given_not_on_the_wall_clock()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var loop = RunningLoop.Start(Defaults() with { CommitInterval = TimeSpan.FromMinutes(10) }, clock);
        var consumer = await loop.Consumer;
        consumer.Append(P0, "a", headers: [new Header(DeadLetterHeaders.TargetGroup, "other-group"u8.ToArray())]);
        await consumer.GroupAssigns(P0).Returned;

        // Two commands: the second runs after a whole turn (with its commit tick) that followed the assignment's.
        await loop.OnPollThread(() => { });
        await loop.OnPollThread(() => { });
        Assert.Empty(consumer.Commits);

        clock.Advance(TimeSpan.FromMinutes(10));
        await consumer.WaitUntilAsync(() => consumer.Commits.Count > 0);

        Assert.Equal([new TopicPartitionOffset(P0, 1)], Assert.Single(consumer.Commits).Offsets.Select(o => o.Offset));
    }

    [Fact]
    public async Task A_step_of_the_wall_clock_forward_does_not_fire_a_commit_early()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var loop = RunningLoop.Start(Defaults() with { CommitInterval = TimeSpan.FromMinutes(10), IdleCommitDelay = TimeSpan.FromMinutes(1) }, clock);
        var consumer = await loop.Consumer;
        consumer.Append(P0, "a", headers: OtherGroup);
        await consumer.GroupAssigns(P0).Returned;
        await loop.WholeTurn();

        clock.Step(TimeSpan.FromHours(1)); // NTP sets the wall clock an hour forward; no time passed
        await loop.WholeTurn();
        await loop.WholeTurn();
        Assert.Empty(consumer.Commits); // neither the interval nor the quiet partition's delay passed

        clock.Advance(TimeSpan.FromMinutes(1));
        await consumer.WaitUntilAsync(() => consumer.Commits.Count > 0); // the quiet delay did
        Assert.Equal([new TopicPartitionOffset(P0, 1)], Assert.Single(consumer.Commits).Offsets.Select(o => o.Offset));
    }

    [Fact]
    public async Task A_step_of_the_wall_clock_back_does_not_delay_a_due_commit()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var loop = RunningLoop.Start(Defaults() with { CommitInterval = TimeSpan.FromMinutes(10) }, clock);
        var consumer = await loop.Consumer;
        consumer.Append(P0, "a", headers: OtherGroup);
        await consumer.GroupAssigns(P0).Returned;
        await loop.WholeTurn();

        clock.Step(TimeSpan.FromHours(-1)); // a resumed virtual machine's clock set back an hour
        clock.Advance(TimeSpan.FromMinutes(10));
        await consumer.WaitUntilAsync(() => consumer.Commits.Count > 0); // the interval passed all the same

        Assert.Equal([new TopicPartitionOffset(P0, 1)], Assert.Single(consumer.Commits).Offsets.Select(o => o.Offset));
    }

    [Fact]
    public async Task A_partition_that_went_quiet_is_committed_once_it_received_nothing_for_the_idle_delay_not_on_the_interval()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var options = Defaults() with { CommitInterval = TimeSpan.FromMinutes(10), IdleCommitDelay = TimeSpan.FromMilliseconds(300) };
        await using var loop = RunningLoop.Start(options, clock);
        var consumer = await loop.Consumer;
        consumer.Append(P0, "a", headers: OtherGroup);
        await consumer.GroupAssigns(P0).Returned;
        await loop.WholeTurn(); // the message arrived (and was passed) at the clock's start

        clock.Advance(TimeSpan.FromMilliseconds(299));
        await loop.WholeTurn();
        Assert.Empty(consumer.Commits);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        await consumer.WaitUntilAsync(() => consumer.Commits.Count > 0);
        Assert.Equal([new TopicPartitionOffset(P0, 1)], Assert.Single(consumer.Commits).Offsets.Select(o => o.Offset));
    }

    [Fact]
    public async Task A_partition_that_keeps_receiving_is_not_committed_before_it_goes_quiet()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var options = Defaults() with { CommitInterval = TimeSpan.FromMinutes(10), IdleCommitDelay = TimeSpan.FromMilliseconds(100) };
        await using var loop = RunningLoop.Start(options, clock);
        var consumer = await loop.Consumer;
        await consumer.GroupAssigns(P0).Returned;

        // A message every 60 ms for 0.6 s, each finished at once: never 100 ms without one.
        for (var i = 0; i < 10; i++)
        {
            consumer.Append(P0, $"m{i}", headers: OtherGroup);
            await loop.WholeTurn();
            clock.Advance(TimeSpan.FromMilliseconds(60));
            await loop.WholeTurn();
        }

        Assert.Empty(consumer.Commits);
        clock.Advance(TimeSpan.FromMilliseconds(40));
        await consumer.WaitUntilAsync(() => consumer.Commits.Count > 0);
        Assert.Equal([new TopicPartitionOffset(P0, 10)], Assert.Single(consumer.Commits).Offsets.Select(o => o.Offset));
    }

    [Fact]
    public async Task A_quiet_partition_with_a_message_not_finished_waits_for_the_interval()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var options = Defaults() with { CommitInterval = TimeSpan.FromMinutes(10), IdleCommitDelay = TimeSpan.FromMilliseconds(100) };
        await using var loop = RunningLoop.Start(options, clock);
        var consumer = await loop.Consumer;
        consumer.Append(P0, "a", headers: OtherGroup);
        consumer.Append(P0, "b"); // no worker takes it: it stays unfinished
        await consumer.GroupAssigns(P0).Returned;
        await loop.WholeTurn();

        // Offset 0 is finished, so 1 could be committed; slow handlers behind back-pressure would
        // then commit at every message they finish (under exactly-once, a transaction each).
        clock.Advance(TimeSpan.FromMinutes(5));
        await loop.WholeTurn();
        await loop.WholeTurn();
        Assert.Empty(consumer.Commits);

        clock.Advance(TimeSpan.FromMinutes(5));
        await consumer.WaitUntilAsync(() => consumer.Commits.Count > 0);
        Assert.Equal([new TopicPartitionOffset(P0, 1)], Assert.Single(consumer.Commits).Offsets.Select(o => o.Offset));
    }

    [Fact]
    public async Task A_posted_command_runs_on_the_poll_thread_the_one_that_handles_rebalances()
    {
        await using var loop = RunningLoop.Start(Defaults(), new ManualClock(DateTimeOffset.UnixEpoch));
        var consumer = await loop.Consumer;
        await consumer.GroupAssigns(P0).Returned;

        var commandThread = 0;
        await loop.OnPollThread(() => commandThread = Environment.CurrentManagedThreadId);

        Assert.Equal(loop.ConsumingThread, commandThread);
    }

    /// <summary>Names another consumer group as the only one to handle the message: the loop passes it, finished, without a worker.</summary>
    private static Headers OtherGroup => [new Header(DeadLetterHeaders.TargetGroup, "other-group"u8.ToArray())];

    /// <summary>A poll loop running on a thread of its own, with a dispatcher and no workers.</summary>
    private sealed class RunningLoop : IAsyncDisposable, IConsumerFactory
    {
        private readonly TaskCompletionSource<FakeConsumer> _consumer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _stop = new();
        private readonly CancellationTokenSource _abort = new();
        private PollLoop? _loop;
        private Task? _running;
        private int _consumingThread;

        public Task<FakeConsumer> Consumer => _consumer.Task.WaitAsync(Patience);

        /// <summary>The thread that runs the loop.</summary>
        public int ConsumingThread => Volatile.Read(ref _consumingThread);

        public static RunningLoop Start(ProcessorOptions options, TimeProvider clock)
        {
            var running = new RunningLoop();
            var observer = new RecordingObserver();
            var telemetry = ProcessorSetup.Telemetry(new KafkaClientProperties("fake:9092"), options, observer);
            var schedule = new CommitSchedule(options.CommitInterval, options.CommitEveryMessages);
            var settings = ConsumerSettings.For(new KafkaClientProperties("fake:9092"), options);
            var loop = running._loop = new PollLoop(settings, running, options, new Dispatcher(runtime: EngineHarness.NoClusterRuntime()), schedule, telemetry, clock: clock);
            running._running = Task.Factory.StartNew(
                () =>
                {
                    running._consumingThread = Environment.CurrentManagedThreadId;
                    loop.Run(running._stop.Token, running._abort);
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
            return running;
        }

        /// <summary>Waits until a whole turn (its commit tick and its fetch) ran after this call.</summary>
        public async Task WholeTurn()
        {
            await OnPollThread(() => { });
            await OnPollThread(() => { });
        }

        /// <summary>Runs <paramref name="command"/> on the poll thread and waits until it ran.</summary>
        public async Task OnPollThread(Action command)
        {
            var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _loop!.Commands.Post(() =>
            {
                command();
                ran.SetResult();
            });
            await ran.Task.WaitAsync(Patience);
        }

        public IConsumer<byte[]?, byte[]?> Create(ConsumerCallbacks callbacks)
        {
            var consumer = new FakeConsumer(callbacks);
            _consumer.TrySetResult(consumer);
            return consumer;
        }

        public IOffsetsWithMetadata? OffsetsWithMetadata(IConsumer<byte[]?, byte[]?> consumer) => (FakeConsumer)consumer;

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            if (_running is not null)
            {
                await _running.WaitAsync(Patience);
            }

            _loop?.Dispose();
            _stop.Dispose();
            _abort.Dispose();
        }
    }
}

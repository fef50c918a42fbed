using Confluent.Kafka;
using Conveyor.Diagnostics;
using Conveyor.Processing;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Completions;
using Conveyor.Processing.Engine;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// An operator's pause or rewind releases its partitions as a revoke does: the poll thread waits
/// for their running handlers (up to the revoke timeout), commits and looks offsets up, and fetches
/// nothing meanwhile, for the partitions it keeps too. That hold is not their idle time, or a kept
/// partition is reported stalled after far less than the stall timeout of its own idleness; idle
/// time from before the hold still counts, so a partition stalled before the command is still reported.
/// </summary>
public sealed class OperatorHoldStallTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TopicPartition Commanded = new("operator-hold", 0);
    private static readonly TopicPartition Kept = new("operator-hold", 1);

    [Theory]
    [InlineData("pause")]
    [InlineData("rewind")]
    public void An_operator_command_s_drain_does_not_count_as_idle_time_of_the_partitions_kept(string command)
    {
        var member = new Member();
        member.Run(command);
        var held = member.Clock.GetUtcNow().UtcDateTime;
        Assert.Equal(member.Options.RevokeTimeout, held - Start.UtcDateTime);

        // 40 s of its own idleness after the hold: 70 s since it last could deliver, not a stall.
        Assert.Null(member.Watchdog.Check(held + TimeSpan.FromSeconds(40), member.KeptState, member.Positions));

        // Idle for the whole stall timeout after the hold: reported.
        Assert.Equal(member.KeptState, member.Watchdog.Check(held + member.Options.StallTimeout, member.KeptState, member.Positions));
    }

    [Fact]
    public void Idle_time_from_before_an_operator_s_command_still_counts()
    {
        var member = new Member();
        member.Clock.Advance(TimeSpan.FromSeconds(50)); // idle 50 s before the command

        member.Run("pause");

        // 50 s before and 10 s after the 30 s hold: the stall timeout of its own idleness.
        var held = member.Clock.GetUtcNow().UtcDateTime;
        Assert.Equal(member.KeptState, member.Watchdog.Check(held + TimeSpan.FromSeconds(10), member.KeptState, member.Positions));
    }

    /// <summary>A member owning both partitions since <see cref="Start"/>, whose handlers of the commanded one never finish.</summary>
    private sealed class Member
    {
        private readonly OperatorHolds _holds;
        private volatile bool _paused;

        public Member()
        {
            var runtime = new EngineRuntime
            {
                Time = Clock,
                Wait = (_, timeout) =>
                {
                    Clock.Advance(timeout); // a handler of the commanded partition never finishes
                    return false;
                },
            };
            var dispatcher = new Dispatcher(runtime: runtime);
            var events = new ProcessorEvents(null, Options.GroupId, text => text);
            Watchdog = new StallWatchdog(Options.StallTimeout, events, Clock);
            var owned = new OwnedPartitions(dispatcher, Watchdog);
            var consumer = new FakeConsumer(new ConsumerCallbacks((_, _) => { }, (_, _) => { }, (_, _) => { }, (_, _) => { }, (_, _) => { }, (_, _) => { }));
            consumer.Append(Commanded, "a");
            var completions = new OffsetOnlyCompletions(dispatcher, consumer);
            var commits = new HoldStallDoubles.NoCommits();
            _holds = new OperatorHolds(Options, consumer, dispatcher, owned, commits, completions, events, Watchdog, p => _paused && p == Commanded, resetToEarliest: true);
            var rebalances = new RebalanceHandler(
                Options,
                dispatcher,
                owned,
                commits,
                completions,
                Watchdog,
                new RebalanceHold(),
                new ClientPauses(consumer, events),
                new AvailabilityWatch(new ConsumerConfig(), Options, events, diagnose: (_, _, _) => null, asksCluster: false),
                events,
                _holds);
            rebalances.OnAssigned([Commanded, Kept]);
            KeptState = owned.Owned([Kept]);
        }

        public ManualClock Clock { get; } = new(Start);

        public ProcessorOptions Options { get; } = new()
        {
            GroupId = "operator-hold",
            Topics = ["operator-hold"],
            StallTimeout = TimeSpan.FromSeconds(60),
            RevokeTimeout = TimeSpan.FromSeconds(30),
        };

        public StallWatchdog Watchdog { get; }

        public List<PartitionState> KeptState { get; }

        public IPartitionPositions Positions { get; } = new HoldStallDoubles.BehindPositions();

        /// <summary>An operator pauses the commanded partition, or rewinds it to its start.</summary>
        public void Run(string command)
        {
            if (command == "pause")
            {
                _paused = true;
                _holds.Reconcile();
            }
            else
            {
                Assert.Equal([new TopicPartitionOffset(Commanded, 0)], _holds.Rewind([new TopicPartitionOffset(Commanded, 0)]).Moved);
            }
        }
    }
}

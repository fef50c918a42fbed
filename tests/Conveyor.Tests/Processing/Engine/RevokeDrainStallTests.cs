using Confluent.Kafka;
using Conveyor.Diagnostics;
using Conveyor.Processing;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Completions;
using Conveyor.Processing.Engine;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// A revoke drains its partitions on the poll thread (up to the revoke timeout) before it returns:
/// meanwhile nothing is fetched, for the partitions the member keeps too. That wait is the engine
/// holding them, not their idle time, or a partition kept across a long drain is reported stalled
/// after far less than the stall timeout of its own idleness.
/// </summary>
public sealed class RevokeDrainStallTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TopicPartition Revoked = new("revoke-drain", 0);
    private static readonly TopicPartition Kept = new("revoke-drain", 1);

    [Fact]
    public void A_revoke_s_drain_does_not_count_as_idle_time_of_the_partitions_kept()
    {
        var clock = new ManualClock(Start);
        var options = new ProcessorOptions
        {
            GroupId = "revoke-drain",
            Topics = ["revoke-drain"],
            StallTimeout = TimeSpan.FromSeconds(60),
            RevokeTimeout = TimeSpan.FromSeconds(30),
        };

        // A handler of the revoked partition never finishes: the drain takes the whole revoke timeout.
        var runtime = new EngineRuntime
        {
            Time = clock,
            Wait = (_, timeout) =>
            {
                clock.Advance(timeout);
                return false;
            },
        };
        var dispatcher = new Dispatcher(runtime: runtime);
        var events = new ProcessorEvents(null, options.GroupId, text => text);
        var watchdog = new StallWatchdog(options.StallTimeout, events, clock);
        var owned = new OwnedPartitions(dispatcher, watchdog);
        var consumer = new FakeConsumer(new ConsumerCallbacks((_, _) => { }, (_, _) => { }, (_, _) => { }, (_, _) => { }, (_, _) => { }, (_, _) => { }));
        var rebalances = new RebalanceHandler(
            options,
            dispatcher,
            owned,
            new HoldStallDoubles.NoCommits(),
            new OffsetOnlyCompletions(dispatcher, consumer),
            watchdog,
            new RebalanceHold(),
            new ClientPauses(consumer, events),
            new AvailabilityWatch(new ConsumerConfig(), options, events, diagnose: (_, _, _) => null, asksCluster: false),
            events);
        var positions = new HoldStallDoubles.BehindPositions();

        rebalances.OnAssigned([Revoked, Kept]);
        var kept = owned.Owned([Kept]);
        rebalances.OnRevoked([new TopicPartitionOffset(Revoked, Offset.Unset)]);
        var drained = clock.GetUtcNow().UtcDateTime;
        Assert.Equal(options.RevokeTimeout, drained - Start.UtcDateTime);

        // 40 s of its own idleness after the drain: 70 s since it last could deliver, not a stall.
        Assert.Null(watchdog.Check(drained + TimeSpan.FromSeconds(40), kept, positions));

        // Idle for the whole stall timeout after the drain: reported.
        Assert.Equal(kept, watchdog.Check(drained + options.StallTimeout, kept, positions));
    }
}

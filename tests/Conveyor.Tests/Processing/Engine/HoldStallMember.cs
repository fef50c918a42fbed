using Confluent.Kafka;
using Conveyor.Diagnostics;
using Conveyor.Processing;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Completions;
using Conveyor.Processing.Engine;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// A member of the stall tests of holds on the poll thread (<see cref="RevokeDrainStallTests"/>,
/// <see cref="OperatorHoldStallTests"/>): it owns <see cref="Held"/> and <see cref="Kept"/> since
/// <see cref="Start"/>, wired as the poll loop wires its rebalance handler and operator holds. A
/// handler of <see cref="Held"/> never finishes, so a hold that drains it waits the whole revoke
/// timeout, on a manual clock.
/// </summary>
internal sealed class HoldStallMember
{
    public static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private volatile bool _pausedByOperator;

    public HoldStallMember(string topic)
    {
        Held = new TopicPartition(topic, 0);
        Kept = new TopicPartition(topic, 1);
        Options = new ProcessorOptions
        {
            GroupId = topic,
            Topics = [topic],
            StallTimeout = TimeSpan.FromSeconds(60),
            RevokeTimeout = TimeSpan.FromSeconds(30),
        };
        var runtime = new EngineRuntime
        {
            Time = Clock,
            Wait = (_, timeout) =>
            {
                Clock.Advance(timeout); // a handler of the held partition never finishes
                return false;
            },
        };
        var dispatcher = new Dispatcher(runtime: runtime);
        var events = new ProcessorEvents(null, Options.GroupId, text => text);
        Watchdog = new StallWatchdog(Options.StallTimeout, events, Clock);
        var owned = new OwnedPartitions(dispatcher, Watchdog);
        var consumer = new FakeConsumer(new ConsumerCallbacks((_, _) => { }, (_, _) => { }, (_, _) => { }, (_, _) => { }, (_, _) => { }, (_, _) => { }));
        consumer.Append(Held, "a");
        var completions = new OffsetOnlyCompletions(dispatcher, consumer);
        var commits = new HoldStallDoubles.NoCommits();
        Holds = new OperatorHolds(Options, consumer, dispatcher, owned, commits, completions, events, Watchdog, p => _pausedByOperator && p == Held, resetToEarliest: true);
        Rebalances = new RebalanceHandler(
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
            Holds);
        Rebalances.OnAssigned([Held, Kept]);
        KeptState = owned.Owned([Kept]);
    }

    /// <summary>The partition a hold drains (revoked, or paused or rewound by an operator).</summary>
    public TopicPartition Held { get; }

    /// <summary>The partition the member keeps across the hold.</summary>
    public TopicPartition Kept { get; }

    public ManualClock Clock { get; } = new(Start);

    public ProcessorOptions Options { get; }

    public StallWatchdog Watchdog { get; }

    public RebalanceHandler Rebalances { get; }

    public OperatorHolds Holds { get; }

    public List<PartitionState> KeptState { get; }

    public IPartitionPositions Positions { get; } = new HoldStallDoubles.BehindPositions();

    /// <summary>The time the member's clock shows now.</summary>
    public DateTime Now => Clock.GetUtcNow().UtcDateTime;

    /// <summary>From now on the fleet's operator state says <see cref="Held"/> is paused.</summary>
    public void PauseByOperator() => _pausedByOperator = true;
}

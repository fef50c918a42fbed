using Confluent.Kafka;
using Conveyor.Processing.Completions;
using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Commits;

/// <summary>What a commit strategy works with: the poll loop's parts, built once with the engine.</summary>
/// <param name="Options">How to process.</param>
/// <param name="Consumer">The poll loop's consumer (commits, and for exactly-once the group metadata, seeks and resumes).</param>
/// <param name="Dispatcher">The only way to a partition's finished offsets.</param>
/// <param name="Partitions">The partitions owned now; forgetting one closes it in the dispatcher.</param>
/// <param name="Schedule">When the next commit is due.</param>
/// <param name="Completions">What a commit records above the committed offset, and how it is sent.</param>
/// <param name="RebalanceHold">Told when a commit is refused by a rebalance, and when one succeeds.</param>
/// <param name="Watchdog">Told that every partition is held while the group rebalances.</param>
/// <param name="Observer">Hears commits, failed commits and errors, and times commits.</param>
/// <param name="Clock">The engine's time provider (commit durations).</param>
/// <param name="Stop">Stops the processor with a fatal error (the strategy has reported it already).</param>
internal sealed record CommitContext(
    ProcessorOptions Options,
    IConsumer<byte[]?, byte[]?> Consumer,
    Dispatcher Dispatcher,
    OwnedPartitions Partitions,
    CommitSchedule Schedule,
    ICompletions Completions,
    RebalanceHold RebalanceHold,
    StallWatchdog Watchdog,
    IEngineEvents Observer,
    TimeProvider Clock,
    Action<Error> Stop)
{
    /// <summary>How long after a failed commit the next is tried.</summary>
    public static readonly TimeSpan CommitRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>The engine's time (<see cref="EngineClock"/>), which the schedule and the rebalance hold run on; thread-safe.</summary>
    public DateTime Now => Watchdog.Clock.Now;
}

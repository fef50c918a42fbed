namespace Conveyor.Processing.Engine;

/// <summary>
/// Where the engine's time, waits, random jitter and worker wake-ups come from. Production uses
/// <see cref="Default"/> (the system clock, blocking waits, the thread pool); the deterministic
/// simulator (tests/Conveyor.Simulation) supplies its own, so the real engine runs on one thread
/// with simulated time and every run of a seed is the same run. Reached through the
/// <see cref="Dispatcher"/>, which every part of the engine already holds.
/// </summary>
internal sealed class EngineRuntime
{
    /// <summary>The system's clock, the thread pool, and threads of their own for blocking sends.</summary>
    public static EngineRuntime Default { get; } = new();

    /// <summary>The engine's clock and timers (retry back-offs).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>A number in [0, 1) for a retry's jitter.</summary>
    public Func<double> Jitter { get; init; } = Random.Shared.NextDouble;

    /// <summary>
    /// Blocks the poll thread until <c>task</c> completes or <c>timeout</c> passes (a drain, room in
    /// the buffer); true when it completed. A simulator runs the workers meanwhile instead.
    /// </summary>
    public Func<Task, TimeSpan, bool> Wait { get; init; } = static (task, timeout) => task.Wait(timeout);

    /// <summary>
    /// Runs the asynchronous committer's sends off the poll thread; null: on a long-lived thread of
    /// the committer's own (<see cref="Commits.CommitSendThread"/>), not the pool: a commit blocks
    /// until the coordinator answers, up to <c>session.timeout.ms</c> while there is none and
    /// <c>socket.timeout.ms</c> against a slow one (<see cref="OwnThread"/>). A simulator runs each
    /// send as a later event.
    /// </summary>
    public Func<Action, Task>? Run { get; init; }

    /// <summary>
    /// Runs a worker's continuation after a ready message woke it; null: on the thread pool (never on
    /// the thread that made the message ready, which holds the dispatcher's lock).
    /// </summary>
    public Action<Action<object?>, object?>? Post { get; init; }

    /// <summary>Whether the engine may ask the cluster with a client of its own (missing dead-letter topics at the first assignment).</summary>
    public bool AsksCluster { get; init; } = true;

    /// <summary>
    /// Which of the failure topics the cluster lacks, asked at the first assignment; null: an admin
    /// client of its own asks the cluster (<see cref="AvailabilityWatch.FindMissing"/>). The engine's
    /// unit tests answer here: their consumer is a fake, and a real client would wait its whole
    /// timeout for a cluster that is not there.
    /// </summary>
    public Func<Confluent.Kafka.ConsumerConfig, IReadOnlyList<string>, IReadOnlyList<string>>? FindMissingTopics { get; init; }

    /// <summary>Known bugs put back on purpose, to show that the simulator finds them; none in production.</summary>
    public ReintroducedBugs Bugs { get; init; }

    /// <summary>
    /// Runs <paramref name="work"/> off the calling thread (a producer's delivery thread that must
    /// not wait): on the thread pool, or as the simulator's next event.
    /// </summary>
    public void Detach(Action<object?> work, object? state)
    {
        if (Post is { } post)
        {
            post(work, state);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(work, state, preferLocal: false);
        }
    }

    /// <summary>Whether a simulator runs everything on one thread: a call that would get a thread of its own runs inline.</summary>
    public bool OnOneThread => Post is not null;

    /// <summary>How a drain's completion runs its continuations: off the dispatcher's lock, unless a simulator runs everything on one thread.</summary>
    public TaskCreationOptions DrainCompletion => OnOneThread ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously;
}

/// <summary>
/// Bugs this engine once had, each fixed; a simulator's test turns one back on to show that its
/// invariants catch it. Only tests set these (<see cref="EngineRuntime.Bugs"/>).
/// </summary>
[Flags]
internal enum ReintroducedBugs
{
    None = 0,

    /// <summary>A new assignment does not resume its partitions in the client, so an application pause from before the revoke survives (fixed in 6c21631's predecessor).</summary>
    PauseKeptAcrossAssign = 1,

    /// <summary>Lanes are named by partition, not by one assignment of it (fixed in 4fbc2f4).</summary>
    LaneByPartitionName = 2,

    /// <summary>A revoke whose handlers outlive the revoke timeout commits past the messages still running.</summary>
    RevokeTimeoutCommitsPastRunning = 4,

    /// <summary>Lost partitions are committed as if revoked.</summary>
    CommitOnLost = 8,

    /// <summary>Messages skipped because they were finished before (restored) do not let the commit pass them (fixed in dc8e345).</summary>
    RestoredSkipsKeepCommit = 16,

    /// <summary>The stall watchdog reports a stalled partition but does not resume it in the client.</summary>
    NoStallRescue = 32,

    /// <summary>Watermark commits without <see cref="Completions.RunAheadBound"/>: a partition runs ahead freely and commits only at the interval (the livelock under churn).</summary>
    NoRunAheadBound = 64,

    /// <summary>The feeder never rotates a partition whose run keeps others starving (<see cref="FlowControl.Rotates"/>).</summary>
    NoRotation = 128,

    /// <summary>A message whose handler handed outputs off is finished at once, before they are acknowledged (forwarding).</summary>
    FinishOnHandOff = 256,

    /// <summary>At-most-once commits a fetched batch only on the interval, after its handlers ran, not before.</summary>
    AtMostOnceCommitsAfterHandling = 512,

    /// <summary>Exactly-once: a loss commits the open transaction with the partitions still owned, so the lost ones' outputs commit without their offsets.</summary>
    LostOutputsCommitted = 1024,

    /// <summary>Exactly-once sends each partition's offset without the finished offsets above it, so a restart writes their committed outputs again.</summary>
    TransactionOffsetsWithoutCompletions = 2048,

    /// <summary>Exactly-once: an abort rewinds the partitions without the finished offsets the last committed transaction recorded, so their outputs are written again.</summary>
    AbortRewindForgetsCompletions = 4096,

    /// <summary>Retry topics: a failed message is finished once its retry record is handed to the producer, before the write is acknowledged (a failed or lost write loses it).</summary>
    RetryWriteFinishesAtHandOff = 8192,

    /// <summary>Exactly-once: the poll thread's wait for running handlers (the transaction gate) counts as the partitions' idle time, so the stall watchdog reports partitions the engine itself held.</summary>
    GateWaitCountsAsIdle = 16384,

    /// <summary>Exactly-once: a message whose partition was revoked, lost or rewound while its handler ran still writes its outputs, into a transaction that cannot carry its offset.</summary>
    WriteAfterPartitionWent = 32768,

    /// <summary>Exactly-once: an abort's rewind forgets how many handler calls of each message failed, so a message failing inside aborted transactions is retried without end.</summary>
    AbortRewindResetsAttempts = 65536,

    /// <summary>Exactly-once: a member whose session ended (no member id until its lost callback) still commits its transaction; a broker does not fence offsets sent without a member id and generation.</summary>
    CommitWithoutMemberId = 131072,

    /// <summary>The feeder lets one partition's run take the buffer past its share while others starve, when the buffer was not full at the last look (after an abort's rewind, all partitions at once).</summary>
    RunPastShare = 262144,

    /// <summary>The stall watchdog measures idle time on the wall clock, so a step of the wall clock forward reports partitions stalled that were not.</summary>
    WatchdogOnWallClock = 524288,

    /// <summary>A failed message whose back-off is over goes behind its partition's other ready messages, so the partition's commit waits for all of them (the simulator's large seeds 355 and 378).</summary>
    RetryBehindFreshMessages = 1048576,
}

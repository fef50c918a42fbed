using Conveyor.Processing;
using Conveyor.Simulation.Pipelines;

namespace Conveyor.Simulation;

/// <summary>How the simulated group hands partitions out.</summary>
internal enum GroupProtocol
{
    /// <summary>Classic eager: every partition is revoked, the group joins and syncs (commits may be refused meanwhile), then a new assignment.</summary>
    Eager,

    /// <summary>Classic cooperative-sticky: only the partitions that move are revoked, then the new ones assigned.</summary>
    Cooperative,

    /// <summary>KIP-848: incremental like cooperative, assignments follow the revoke at once.</summary>
    Kip848,
}

/// <summary>What a fault does.</summary>
internal enum FaultKind
{
    /// <summary>Messages arrive: <see cref="Fault.Value"/> of them in each partition of the mask.</summary>
    Append,

    /// <summary>A rebalance: revoke the mask's partitions (all, eager), assign <see cref="Fault.Value"/>'s mask after <see cref="Fault.Delay"/>; eager refuses commits meanwhile when <see cref="Fault.Flag"/>.</summary>
    Rebalance,

    /// <summary>The member's session ends: the mask's partitions are lost (another member has them already).</summary>
    Lose,

    /// <summary>The next <see cref="Fault.Value"/> commits fail.</summary>
    FailCommits,

    /// <summary>The process is killed (nothing more reaches the cluster) and restarts after <see cref="Fault.Delay"/>.</summary>
    Kill,

    /// <summary>The wall clock jumps by <see cref="Fault.Value"/> milliseconds (either way); timers and timestamps do not.</summary>
    ClockJump,
}

/// <summary>
/// One event of a schedule, at <see cref="AtMs"/> simulated milliseconds. <see cref="Member"/> is the
/// member a kill or a loss hits, or the one a rebalance moves partitions to (schedules of several members).
/// </summary>
internal sealed record Fault(long AtMs, FaultKind Kind, int Mask, int Value, int Delay, bool Flag, int Member = 1)
{
    public override string ToString() => Kind switch
    {
        FaultKind.Append => $"{AtMs}ms append {Value} to {Masks.Describe(Mask)}",
        FaultKind.Rebalance => $"{AtMs}ms rebalance revoke {Masks.Describe(Mask)} assign {Masks.Describe(Value)} (to member {Member} when several) after {Delay}ms{(Flag ? " (commits refused meanwhile)" : string.Empty)}",
        FaultKind.Lose => $"{AtMs}ms member {Member} loses {Masks.Describe(Mask)}",
        FaultKind.FailCommits => $"{AtMs}ms fail the next {Value} commits",
        FaultKind.Kill => $"{AtMs}ms kill member {Member}, restart after {Delay}ms",
        FaultKind.ClockJump => $"{AtMs}ms wall clock jumps {Value:+#;-#;0}ms",
        _ => $"{AtMs}ms {Kind}",
    };
}

/// <summary>
/// A whole simulated run: the engine's settings, the partitions and their first messages, the
/// first assignment, the faults and how many real engine members share the group (one: the
/// others are a model). A churn schedule (faults every second or so) must keep progressing:
/// its committed offsets move in every window of <see cref="InvariantChecker.ChurnWindow"/>. Message behaviour (handler durations and failures, dead-letter
/// acknowledgements) comes from the seed, per message, so removing faults keeps it.
/// </summary>
internal sealed record Schedule(
    int Seed,
    GroupProtocol Protocol,
    OrderingMode Ordering,
    bool PersistCompletions,
    bool AsyncCommits,
    int Partitions,
    int[] InitialMessages,
    int FirstAssignment,
    IReadOnlyList<Fault> Faults,
    int Members = 1,
    bool Churn = false,
    bool LargeFetches = false,
    bool IdleCommits = false)
{
    /// <summary>Faults happen in the first 15 s; then every partition goes to the member and the run settles.</summary>
    public const long FaultPhaseMs = 15_000;

    /// <summary>A churn schedule's faults last a minute, so that its progress floor sees several windows.</summary>
    public const long ChurnPhaseMs = 60_000;

    /// <summary>How long this schedule's faults last.</summary>
    public long FaultPhase => Churn ? ChurnPhaseMs : FaultPhaseMs;

    /// <summary>Which of the engine's pipelines runs (Pipelines/).</summary>
    public Pipeline Pipeline { get; init; }

    /// <summary>A <c>--large</c> schedule (up to 6 partitions of up to 200 messages, 30 faults), made for exploration.</summary>
    public bool Large { get; init; }

    /// <summary>The last partitions that are retry topics' (one each), not the main topic's: none unless <see cref="Pipeline.RetryTopics"/>.</summary>
    public int RetryTopicPartitions => Pipeline == Pipeline.RetryTopics ? RetryLedger.Topics : 0;

    public override string ToString() =>
        $"seed {Seed}: {Protocol}, {(Pipeline == Pipeline.Plain ? string.Empty : Pipeline + ", ")}{Ordering} ordering, completions {(PersistCompletions ? "persisted" : "offset only")}, {(AsyncCommits ? "asynchronous" : "synchronous")} commits, "
        + $"{Partitions} partitions with [{string.Join(", ", InitialMessages)}] messages, first assignment {Masks.Describe(FirstAssignment)}, {Faults.Count} faults"
        + (Members > 1 ? $", {Members} engine members" : string.Empty) + (Churn ? ", churn" : string.Empty) + (LargeFetches ? ", fetches of up to 500" : string.Empty) + (IdleCommits ? ", quiet partitions committed" : string.Empty);
}

/// <summary>Partition sets as bit masks.</summary>
internal static class Masks
{
    public static IEnumerable<int> Of(int mask, int partitions)
    {
        for (var p = 0; p < partitions; p++)
        {
            if ((mask & (1 << p)) != 0)
            {
                yield return p;
            }
        }
    }

    public static string Describe(int mask) => mask == 0 ? "{}" : "{" + string.Join(",", Of(mask, 31)) + "}";
}

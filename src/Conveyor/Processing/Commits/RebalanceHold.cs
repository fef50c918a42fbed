namespace Conveyor.Processing.Commits;

/// <summary>
/// Holds new work while the group coordinator refuses commits because the group is rebalancing
/// (<c>REBALANCE_IN_PROGRESS</c>, <c>ILLEGAL_GENERATION</c>). Work finished then cannot be
/// committed before the partitions move, so the next owner (or this member, from the committed
/// offset) handles it again: every message started meanwhile is a duplicate in waiting. A real
/// broker accepts commits from current members until they rejoin, so there this rarely holds; the
/// embedded broker refuses them for the whole join. The hold ends with the next successful commit,
/// the next assignment, or after <see cref="Limit"/>, whichever comes first.
/// Thread-safe: the poll thread and the asynchronous committer report commits.
/// </summary>
internal sealed class RebalanceHold
{
    /// <summary>The longest hold, in case neither a commit nor an assignment ends it.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    private long _untilTicks;

    /// <summary>A commit was refused because of a rebalance.</summary>
    public void Refused(DateTime now) => Interlocked.Exchange(ref _untilTicks, (now + Limit).Ticks);

    /// <summary>A commit succeeded, or partitions were assigned: the rebalance is over.</summary>
    public void Release() => Interlocked.Exchange(ref _untilTicks, 0);

    /// <summary>Whether new work is held now.</summary>
    public bool IsHeld(DateTime now) => now.Ticks < Interlocked.Read(ref _untilTicks);
}

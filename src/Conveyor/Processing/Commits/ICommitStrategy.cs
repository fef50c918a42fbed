using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Commits;

/// <summary>
/// How the poll loop commits, one implementation per delivery guarantee, chosen once when the
/// engine is built (<see cref="PollLoop"/>'s constructor): <see cref="SynchronousCommits"/>,
/// <see cref="AsynchronousCommits"/>, <see cref="TransactionalCommits"/> (exactly-once) and
/// <see cref="AtMostOnceCommits"/>. Everything that differs between the guarantees is behind these
/// calls: what happens before a fetched batch is submitted, at the commit tick, when partitions are
/// revoked or lost, and at the stop. Poll thread only.
/// </summary>
internal interface ICommitStrategy
{
    /// <summary>The loop starts: the first commit is due one interval from <paramref name="now"/>.</summary>
    void Start(DateTime now);

    /// <summary>Once per loop turn: commits what is finished in the owned partitions when a commit is due.</summary>
    void Tick(DateTime now);

    /// <summary>A fetched batch is about to be submitted (at-most-once commits it first).</summary>
    void Submitting(List<WorkItem> batch);

    /// <summary>Revoked partitions, drained or past the revoke timeout: commits what is finished in them (or aborts), then forgets them.</summary>
    void Revoked(List<PartitionState> revoked);

    /// <summary>Lost partitions: another member may own them already, so nothing of theirs is committed; forgets them.</summary>
    void Lost(List<PartitionState> lost);

    /// <summary>The processor stops, after the drain: commits what is finished and waits until it has landed.</summary>
    void Stopping(List<PartitionState> partitions);
}

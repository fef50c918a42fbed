using Confluent.Kafka;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Completions;

/// <summary>
/// What a commit records of the finished offsets, and what an assignment reads back:
/// <see cref="PersistedCompletions"/> writes the finished offsets above the committed one into the
/// commit metadata (and remembers them for partitions that come back); <see cref="OffsetOnlyCompletions"/>
/// commits the offset alone (completions turned off, at-most-once, or the native handle not
/// reachable). Chosen once when the engine is built. Poll thread only, except
/// <see cref="Commit"/>, which the asynchronous committer calls too.
/// </summary>
internal interface ICompletions
{
    /// <summary>The offsets finished before this assignment, per partition that has any (read before anything of them is fetched).</summary>
    IReadOnlyDictionary<TopicPartition, CompletionMap> Restore(List<TopicPartition> partitions);

    /// <summary>What to commit for <paramref name="partition"/> now, or null when nothing changed since its last commit.</summary>
    OffsetCommit? Next(PartitionState partition);

    /// <summary>Commits these offsets (with their metadata); throws as Confluent.Kafka's <c>Commit</c> does.</summary>
    void Commit(IReadOnlyList<OffsetCommit> offsets);

    /// <summary>Partitions given up (revoked or lost): keeps what this member finished there, in case they come back.</summary>
    void Remember(List<PartitionState> states);

    /// <summary>Whether <paramref name="partition"/> must take no new messages because its finished offsets could outgrow the commit metadata.</summary>
    bool Full(PartitionState partition);

    /// <summary>Whether <paramref name="partition"/>'s commit should not wait for the interval (watermark commits, see <see cref="RunAheadBound"/>).</summary>
    bool CommitDue(PartitionState partition);

    /// <summary>Whether <see cref="CommitDue"/> can ever be true: when not, the poll loop does not ask it of every partition at every turn.</summary>
    bool HurriesCommits { get; }
}

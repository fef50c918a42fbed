namespace Conveyor.Processing;

/// <summary>How finished offsets are sent to the group coordinator.</summary>
public enum OffsetCommitMode
{
    /// <summary>
    /// The poll loop commits and waits for the coordinator's answer; a failed commit is tried again
    /// after a second. After a crash, what was finished since the last successful commit is handled again.
    /// </summary>
    Synchronous,

    /// <summary>
    /// Commits are sent from a background task, one at a time, so polling never waits for them.
    /// A commit never moves a partition's offset backwards: each one carries offsets higher than
    /// every earlier one, and they are sent in order. A failed commit is not repeated as such; the
    /// next scheduled one carries the newer offsets. Revokes and stops wait until every requested
    /// commit has landed. After a crash, a commit still in flight may be lost: the messages of up to
    /// two commit periods are handled again.
    /// </summary>
    Asynchronous,
}

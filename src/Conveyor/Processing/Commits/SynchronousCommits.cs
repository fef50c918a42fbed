using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Commits;

/// <summary>
/// At-least-once, synchronous: commits on the poll thread only, so commits are ordered and a later
/// commit can never be overtaken by an earlier one.
/// </summary>
internal sealed class SynchronousCommits(CommitContext context) : ConsumerCommits(context)
{
    protected override void Send(List<OffsetCommit> offsets, List<PartitionState> states, bool final)
    {
        if (offsets.Count > 0)
        {
            Commit(offsets, states);
        }
    }
}

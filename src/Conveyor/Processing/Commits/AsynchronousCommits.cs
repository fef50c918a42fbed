using Confluent.Kafka;
using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Commits;

/// <summary>
/// At-least-once, asynchronous (<see cref="OffsetCommitMode.Asynchronous"/>): the poll loop hands
/// commits to the <see cref="AsyncCommitter"/>, which sends them in the background and keeps them
/// ordered. A revoke or the stop waits until they have landed.
/// </summary>
internal sealed class AsynchronousCommits : ConsumerCommits
{
    /// <summary>How long a revoke or stop waits for asynchronous commits to land.</summary>
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(30);

    private readonly AsyncCommitter _committer;
    private readonly IProcessorObserver _observer;

    public AsynchronousCommits(CommitContext context)
        : base(context)
    {
        _committer = new AsyncCommitter(CommitNow, context.Dispatcher.Runtime);
        _observer = context.Observer;
    }

    protected override void Send(List<OffsetCommit> offsets, List<PartitionState> states, bool final)
    {
        _committer.Request(offsets);
        if (final && !_committer.Flush(FlushTimeout))
        {
            _observer.OnError(new Error(ErrorCode.Local_TimedOut, $"Asynchronous commits did not finish within {FlushTimeout}; their messages will be handled again."));
        }
    }

    protected override void Forget(List<PartitionState> states)
    {
        base.Forget(states);
        _committer.Forget(states.Select(s => s.TopicPartition));
    }
}

using Confluent.Kafka;
using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Commits;

/// <summary>
/// At-least-once, asynchronous (<see cref="OffsetCommitMode.Asynchronous"/>): the poll loop hands
/// commits to the <see cref="AsyncCommitter"/>, which sends them in the background and keeps them
/// ordered. A revoke or the stop waits until they have landed. What landed becomes the partitions'
/// last commit at the next turn, on the poll thread: until then an early commit (the run-ahead
/// bound's, a quiet partition's) would be asked for again at every turn, for offsets the committer
/// only drops as sent already.
/// </summary>
internal sealed class AsynchronousCommits : ConsumerCommits, IDisposable
{
    /// <summary>How long a revoke or stop waits for asynchronous commits to land.</summary>
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(30);

    private readonly AsyncCommitter _committer;
    private readonly IProcessorObserver _observer;
    private readonly List<OffsetCommit> _landed = [];

    public AsynchronousCommits(CommitContext context)
        : base(context)
    {
        _observer = context.Observer;
        _committer = new AsyncCommitter(CommitNow, Failed, context.Dispatcher.Runtime);
    }

    protected override void Send(List<OffsetCommit> offsets, List<PartitionState> states, bool final)
    {
        _committer.Request(offsets);
        if (final && !_committer.Flush(FlushTimeout))
        {
            _observer.OnError(new Error(ErrorCode.Local_TimedOut, $"Asynchronous commits did not finish within {FlushTimeout}; their messages will be handled again."));
        }
    }

    /// <summary>One line for the observer and the log: a commit threw what it was not meant to; the next commit sends its offsets again.</summary>
    internal static Error Unexpected(Exception exception) => new(
        ErrorCode.Local_Fail,
        $"An asynchronous commit failed unexpectedly ({exception.GetType().Name}: {exception.Message}); its offsets are sent again with the next commit.");

    private void Failed(Exception exception) => _observer.OnError(Unexpected(exception));

    /// <summary>The consumer is closed: nothing more is committed, and the send thread ends.</summary>
    public void Dispose() => _committer.Dispose();

    protected override void TakeLanded()
    {
        _committer.TakeLanded(_landed);
        foreach (var offset in _landed)
        {
            if (Context.Partitions.TryGetValue(offset.Partition, out var state))
            {
                Landed(state, offset);
            }
        }

        _landed.Clear();
    }

    protected override void Forget(List<PartitionState> states)
    {
        base.Forget(states);
        _committer.Forget(states.Select(s => s.TopicPartition));
    }
}

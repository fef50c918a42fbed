using System.Diagnostics;
using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>Committing: only offsets below which every message is finished, never backwards.</summary>
internal sealed partial class PollLoop
{
    /// <summary>How long a revoke or stop waits for asynchronous commits to land.</summary>
    private static readonly TimeSpan AsyncCommitFlushTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Commits each partition's committable offset when it moved. Synchronous mode commits on this
    /// thread only, so commits are ordered and a later commit can never be overtaken by an earlier
    /// one; asynchronous mode hands them to the <see cref="Commits.AsyncCommitter"/>, which keeps
    /// them ordered. <paramref name="final"/> (revoke, stop) waits until they have landed.
    /// </summary>
    private void CommitFinished(IEnumerable<PartitionState> partitions, bool final = false)
    {
        _schedule.Restart(DateTime.UtcNow);
        if (_transactions is not null)
        {
            CommitTransaction();
            return;
        }

        var offsets = new List<TopicPartitionOffset>();
        var states = new List<PartitionState>();
        foreach (var partition in partitions)
        {
            if (_dispatcher.Committable(partition) is { } next && next > partition.LastCommitted && !partition.Closed)
            {
                offsets.Add(new TopicPartitionOffset(partition.TopicPartition, next));
                states.Add(partition);
            }
        }

        if (_asyncCommits is not null)
        {
            _asyncCommits.Request(offsets);
            if (final && !_asyncCommits.Flush(AsyncCommitFlushTimeout))
            {
                _observer.OnError(new Error(ErrorCode.Local_TimedOut, $"Asynchronous commits did not finish within {AsyncCommitFlushTimeout}; their messages will be handled again."));
            }
        }
        else if (offsets.Count > 0)
        {
            Commit(offsets, states);
        }
    }

    /// <summary>At-most-once: the fetched batch is committed before any of it is handled.</summary>
    private void CommitBeforeHandling()
    {
        var latest = new Dictionary<PartitionState, long>();
        foreach (var item in _batch)
        {
            latest[item.Partition] = item.Offset + 1;
        }

        if (latest.Count > 0)
        {
            Commit([.. latest.Select(p => new TopicPartitionOffset(p.Key.TopicPartition, p.Value))], [.. latest.Keys]);
        }
    }

    private void Commit(List<TopicPartitionOffset> offsets, List<PartitionState> states)
    {
        var committed = CommitNow(offsets);
        foreach (var offset in committed)
        {
            var state = states.First(s => s.TopicPartition == offset.TopicPartition);
            state.LastCommitted = Math.Max(state.LastCommitted, offset.Offset.Value);
        }

        if (committed.Count < offsets.Count)
        {
            // Not committed: the offsets stay where they were and the commit is tried again soon.
            _schedule.RetryAfter(DateTime.UtcNow, CommitRetryDelay);
        }
    }

    /// <summary>Commits and reports; returns the offsets that were committed. Called on this thread, or by the asynchronous committer (one at a time).</summary>
    private IReadOnlyList<TopicPartitionOffset> CommitNow(IReadOnlyList<TopicPartitionOffset> offsets)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            _consumer.Commit(offsets);
            _telemetry?.CommitTimed(Stopwatch.GetElapsedTime(started), succeeded: true);
            _observer.OnCommitted(offsets);
            return offsets;
        }
        catch (TopicPartitionOffsetException e)
        {
            _telemetry?.CommitTimed(Stopwatch.GetElapsedTime(started), succeeded: false);
            List<TopicPartitionOffset> succeeded = [.. e.Results.Where(r => !r.Error.IsError).Select(r => r.TopicPartitionOffset)];
            if (succeeded.Count > 0)
            {
                _observer.OnCommitted(succeeded);
            }

            foreach (var failed in e.Results.Where(r => r.Error.IsError).GroupBy(r => r.Error.Code))
            {
                NoteRebalance(failed.Key);
                _observer.OnCommitFailed([.. failed.Select(r => r.TopicPartitionOffset)], failed.First().Error);
            }

            return succeeded;
        }
        catch (KafkaException e)
        {
            _telemetry?.CommitTimed(Stopwatch.GetElapsedTime(started), succeeded: false);
            NoteRebalance(e.Error.Code);
            _observer.OnCommitFailed(offsets, e.Error);
            return [];
        }
    }

    /// <summary>A commit refused because the group is rebalancing: the client holds the partitions meanwhile, which is no stall.</summary>
    private void NoteRebalance(ErrorCode code)
    {
        if (code is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration)
        {
            _watchdog.HeldAll(DateTime.UtcNow);
        }
    }
}

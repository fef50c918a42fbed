using System.Diagnostics;
using Confluent.Kafka;
using Conveyor.Processing.Commits;

namespace Conveyor.Processing.Engine;

/// <summary>Committing: only offsets below which every message is finished, never backwards.</summary>
internal sealed partial class PollLoop
{
    /// <summary>How long a revoke or stop waits for asynchronous commits to land.</summary>
    private static readonly TimeSpan AsyncCommitFlushTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Commits each partition's committable offset when it moved, or (persisted completions) when
    /// more offsets above it finished, recorded in the metadata. Synchronous mode commits on this
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

        var offsets = new List<OffsetCommit>();
        var states = new List<PartitionState>();
        var finished = _completions is null ? null : new List<long>();
        foreach (var partition in partitions)
        {
            if (partition.Closed)
            {
                continue;
            }

            if (finished is null)
            {
                if (_dispatcher.Committable(partition) is { } next && next > partition.Poll.LastCommitted)
                {
                    offsets.Add(new OffsetCommit(partition.TopicPartition, next));
                    states.Add(partition);
                }

                continue;
            }

            finished.Clear();
            if (_dispatcher.CommitPoint(partition, finished) is { } point)
            {
                partition.Poll.CompletionFloor = Math.Max(partition.Poll.CompletionFloor, point);
                var metadata = _completions!.Encode(point, finished);
                if (point > partition.Poll.LastCommitted || (point == partition.Poll.LastCommitted && metadata != partition.Poll.LastCommittedMetadata))
                {
                    offsets.Add(new OffsetCommit(partition.TopicPartition, point, metadata));
                    states.Add(partition);
                }
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
            Commit([.. latest.Select(p => new OffsetCommit(p.Key.TopicPartition, p.Value))], [.. latest.Keys]);
        }
    }

    private void Commit(List<OffsetCommit> offsets, List<PartitionState> states)
    {
        var committed = CommitNow(offsets);
        foreach (var offset in committed)
        {
            var state = states.First(s => s.TopicPartition == offset.Partition);
            if (offset.Offset >= state.Poll.LastCommitted)
            {
                state.Poll.LastCommitted = offset.Offset;
                state.Poll.LastCommittedMetadata = offset.Metadata;
            }
        }

        if (committed.Count < offsets.Count)
        {
            // Not committed: the offsets stay where they were and the commit is tried again soon.
            _schedule.RetryAfter(DateTime.UtcNow, CommitRetryDelay);
        }
    }

    /// <summary>
    /// Commits (with metadata when completions are persisted) and reports; returns the offsets that
    /// were committed. Called on this thread, or by the asynchronous committer (one at a time).
    /// </summary>
    private IReadOnlyList<OffsetCommit> CommitNow(IReadOnlyList<OffsetCommit> offsets)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            if (_completions is not null)
            {
                _completions.Commit(offsets);
            }
            else
            {
                _consumer.Commit(offsets.Select(o => o.ToTopicPartitionOffset()));
            }

            _telemetry?.CommitTimed(Stopwatch.GetElapsedTime(started), succeeded: true);
            _rebalanceHold.Release();
            _observer.OnCommitted([.. offsets.Select(o => o.ToTopicPartitionOffset())]);
            return offsets;
        }
        catch (TopicPartitionOffsetException e)
        {
            _telemetry?.CommitTimed(Stopwatch.GetElapsedTime(started), succeeded: false);
            var refused = e.Results.Where(r => r.Error.IsError).Select(r => r.TopicPartition).ToHashSet();
            List<OffsetCommit> succeeded = [.. offsets.Where(o => !refused.Contains(o.Partition))];
            if (succeeded.Count > 0)
            {
                _observer.OnCommitted([.. succeeded.Select(o => o.ToTopicPartitionOffset())]);
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
            _observer.OnCommitFailed([.. offsets.Select(o => o.ToTopicPartitionOffset())], e.Error);
            return [];
        }
    }

    /// <summary>
    /// A commit refused because the group is rebalancing: the client holds the partitions
    /// meanwhile, which is no stall; and the engine starts no new work until the rebalance is over
    /// (<see cref="RebalanceHold"/>), since it could not be committed before the partitions move.
    /// </summary>
    private void NoteRebalance(ErrorCode code)
    {
        if (code is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration)
        {
            var now = DateTime.UtcNow;
            _watchdog.HeldAll(now);
            _rebalanceHold.Refused(now);
        }
    }
}

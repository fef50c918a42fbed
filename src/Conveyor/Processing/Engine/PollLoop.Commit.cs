using System.Diagnostics;
using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>Committing: only offsets below which every message is finished, never backwards.</summary>
internal sealed partial class PollLoop
{
    /// <summary>
    /// Commits each partition's committable offset when it moved. Synchronous and on this thread
    /// only, so commits are ordered and a later commit can never be overtaken by an earlier one.
    /// </summary>
    private void CommitFinished(IEnumerable<PartitionState> partitions)
    {
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

        _nextCommit = DateTime.UtcNow + _options.CommitInterval;
        if (offsets.Count > 0)
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
        var started = Stopwatch.GetTimestamp();
        try
        {
            _consumer.Commit(offsets);
            _telemetry?.CommitTimed(Stopwatch.GetElapsedTime(started), succeeded: true);
            Committed(offsets, states);
        }
        catch (TopicPartitionOffsetException e)
        {
            _telemetry?.CommitTimed(Stopwatch.GetElapsedTime(started), succeeded: false);
            var succeeded = e.Results.Where(r => !r.Error.IsError).Select(r => r.TopicPartitionOffset).ToList();
            Committed(succeeded, states);
            foreach (var failed in e.Results.Where(r => r.Error.IsError).GroupBy(r => r.Error.Code))
            {
                _observer.OnCommitFailed([.. failed.Select(r => r.TopicPartitionOffset)], failed.First().Error);
            }

            _nextCommit = DateTime.UtcNow + CommitRetryDelay;
        }
        catch (KafkaException e)
        {
            _telemetry?.CommitTimed(Stopwatch.GetElapsedTime(started), succeeded: false);
            // Not committed: the offsets stay where they were and the commit is tried again soon.
            _observer.OnCommitFailed(offsets, e.Error);
            _nextCommit = DateTime.UtcNow + CommitRetryDelay;
        }
    }

    private void Committed(List<TopicPartitionOffset> offsets, List<PartitionState> states)
    {
        if (offsets.Count == 0)
        {
            return;
        }

        foreach (var offset in offsets)
        {
            var state = states.First(s => s.TopicPartition == offset.TopicPartition);
            state.LastCommitted = Math.Max(state.LastCommitted, offset.Offset.Value);
        }

        _observer.OnCommitted(offsets);
    }
}

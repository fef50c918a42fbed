using Confluent.Kafka;

namespace Conveyor.Processing.Commits;

/// <summary>
/// Sends commits in the background, one at a time and in the order requested, so the poll loop
/// never waits for the coordinator. A partition's offset only ever moves forward: a request is
/// taken only when it is higher than everything pending, in flight or confirmed for that partition,
/// so a slow or retried commit can never land over a newer one. Requests that arrive while a
/// commit is in flight are merged and sent next.
/// </summary>
internal sealed class AsyncCommitter
{
    private readonly Func<IReadOnlyList<TopicPartitionOffset>, IReadOnlyList<TopicPartitionOffset>> _commit;
    private readonly Lock _lock = new();
    private readonly Dictionary<TopicPartition, long> _pending = [];
    private readonly Dictionary<TopicPartition, long> _inFlight = [];
    private readonly Dictionary<TopicPartition, long> _confirmed = [];
    private Task _draining = Task.CompletedTask;
    private bool _isDraining;

    /// <param name="commit">Commits synchronously and returns the offsets that were committed; reports failures itself and never throws.</param>
    public AsyncCommitter(Func<IReadOnlyList<TopicPartitionOffset>, IReadOnlyList<TopicPartitionOffset>> commit)
    {
        _commit = commit;
    }

    /// <summary>Asks for these offsets to be committed; returns at once. Offsets not above what is already pending, in flight or committed are ignored.</summary>
    public void Request(IEnumerable<TopicPartitionOffset> offsets)
    {
        lock (_lock)
        {
            foreach (var offset in offsets)
            {
                if (offset.Offset.Value > HighestLocked(offset.TopicPartition))
                {
                    _pending[offset.TopicPartition] = offset.Offset.Value;
                }
            }

            if (_pending.Count > 0 && !_isDraining)
            {
                _isDraining = true;
                _draining = Task.Run(Drain);
            }
        }
    }

    /// <summary>Waits until everything requested so far has been sent and answered (or the timeout passed); false on timeout.</summary>
    public bool Flush(TimeSpan timeout)
    {
        Task draining;
        lock (_lock)
        {
            draining = _isDraining ? _draining : Task.CompletedTask;
        }

        return draining.Wait(timeout);
    }

    /// <summary>The partitions are gone: drops what is pending for them and forgets what was committed (a commit in flight still lands or fails).</summary>
    public void Forget(IEnumerable<TopicPartition> partitions)
    {
        lock (_lock)
        {
            foreach (var partition in partitions)
            {
                _pending.Remove(partition);
                _confirmed.Remove(partition);
            }
        }
    }

    private long HighestLocked(TopicPartition partition) => Math.Max(
        _pending.GetValueOrDefault(partition, -1),
        Math.Max(_inFlight.GetValueOrDefault(partition, -1), _confirmed.GetValueOrDefault(partition, -1)));

    private void Drain()
    {
        while (true)
        {
            List<TopicPartitionOffset> batch;
            lock (_lock)
            {
                if (_pending.Count == 0)
                {
                    _isDraining = false;
                    return;
                }

                batch = [.. _pending.Select(p => new TopicPartitionOffset(p.Key, p.Value))];
                foreach (var (partition, offset) in _pending)
                {
                    _inFlight[partition] = offset;
                }

                _pending.Clear();
            }

            IReadOnlyList<TopicPartitionOffset> committed;
            try
            {
                committed = _commit(batch);
            }
            catch (Exception e) when (e is KafkaException or ObjectDisposedException or InvalidOperationException)
            {
                committed = []; // the consumer is closing: nothing more can be committed
            }

            lock (_lock)
            {
                foreach (var sent in batch)
                {
                    _inFlight.Remove(sent.TopicPartition);
                }

                foreach (var done in committed)
                {
                    _confirmed[done.TopicPartition] = Math.Max(_confirmed.GetValueOrDefault(done.TopicPartition, -1), done.Offset.Value);
                }
            }
        }
    }
}

namespace Conveyor.Processing.Batching;

/// <summary>
/// Collects one partition's messages into batches and runs them one at a time, so a partition's
/// batches never overlap. A batch starts when it is full (messages or bytes), or when its oldest
/// message has waited <see cref="BatchOptions.MaxWait"/>; messages arriving meanwhile wait for the next.
/// </summary>
internal sealed class PartitionBatcher<TKey, TValue> : IDisposable
{
    private readonly BatchOptions _options;
    private readonly BatchRunner<TKey, TValue> _runner;
    private readonly Lock _lock = new();
    private readonly List<BatchEntry<TKey, TValue>> _open = [];
    private readonly Timer _timer;
    private long _openBytes;
    private bool _running;
    private bool _disposed;

    public PartitionBatcher(BatchOptions options, BatchRunner<TKey, TValue> runner)
    {
        _options = options;
        _runner = runner;
        _timer = new Timer(_ => OnTimer());
    }

    public void Add(BatchEntry<TKey, TValue> entry)
    {
        lock (_lock)
        {
            _open.Add(entry);
            _openBytes += entry.Message.SerializedSize;
            if (!TryStartLocked() && _open.Count == 1 && !_disposed)
            {
                _timer.Change(_options.MaxWait, Timeout.InfiniteTimeSpan);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timer.Dispose();
        }
    }

    // The timer is armed for the oldest open message, so when it fires that one has waited long
    // enough (timers and the clock may disagree by a little: do not ask the clock again).
    private void OnTimer()
    {
        lock (_lock)
        {
            TryStartLocked(waitedEnough: true);
        }
    }

    /// <summary>Starts a batch when none is running and the open one is full or has waited long enough.</summary>
    private bool TryStartLocked(bool waitedEnough = false)
    {
        if (_running || _open.Count == 0)
        {
            return false;
        }

        var full = _open.Count >= _options.MaxMessages || _openBytes >= _options.MaxBytes;
        if (!full && !waitedEnough && DateTime.UtcNow - _open.Min(e => e.ArrivedAt) < _options.MaxWait)
        {
            return false;
        }

        // Offset order: workers may hand messages over slightly out of order.
        _open.Sort((a, b) => a.Message.Offset.CompareTo(b.Message.Offset));
        var batch = new List<BatchEntry<TKey, TValue>>();
        long bytes = 0;
        foreach (var entry in _open)
        {
            var size = entry.Message.SerializedSize;
            if (batch.Count == _options.MaxMessages || (batch.Count > 0 && bytes + size > _options.MaxBytes))
            {
                break;
            }

            batch.Add(entry);
            bytes += size;
        }

        _open.RemoveRange(0, batch.Count);
        _openBytes -= bytes;
        _running = true;
        _ = Task.Run(() => RunAsync(batch));
        return true;
    }

    private async Task RunAsync(List<BatchEntry<TKey, TValue>> batch)
    {
        var again = await _runner.RunAsync(batch).ConfigureAwait(false);
        lock (_lock)
        {
            _running = false;
            _open.InsertRange(0, again);
            _openBytes += again.Sum(e => (long)e.Message.SerializedSize);
            // Messages handed back after a failure already waited for a batch: they go next, at once.
            if (!TryStartLocked(waitedEnough: again.Count > 0) && _open.Count > 0 && !_disposed)
            {
                var waited = DateTime.UtcNow - _open.Min(e => e.ArrivedAt);
                _timer.Change(_options.MaxWait - waited > TimeSpan.Zero ? _options.MaxWait - waited : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            }
        }
    }
}

namespace Conveyor.AspNetCore.Dashboard.Model;

/// <summary>
/// The dashboard's Kafka readers, one per key (a cluster's status topic, a group), made on first
/// use and kept until the dashboard stops, so a page refresh reads on from where the last one
/// stopped instead of connecting again. Each is used by one request at a time, on a pool thread:
/// their clients are not thread-safe and their calls block.
/// </summary>
/// <typeparam name="TReader">What is kept per key; disposed with the cache.</typeparam>
internal sealed class ReaderCache<TReader> : IDisposable
    where TReader : IDisposable
{
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private bool _disposed;

    /// <summary>Runs <paramref name="read"/> with the key's reader (made by <paramref name="open"/> the first time), once no other request uses it.</summary>
    /// <exception cref="ObjectDisposedException">The cache was disposed.</exception>
    public async Task<TResult> ReadAsync<TResult>(string key, Func<TReader> open, Func<TReader, TResult> read, CancellationToken cancellationToken = default)
    {
        Slot slot;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_slots.TryGetValue(key, out var found))
            {
                found = new Slot(open());
                _slots[key] = found;
            }

            slot = found;
        }

        await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => read(slot.Reader), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (var slot in _slots.Values)
            {
                slot.Reader.Dispose();
                slot.Gate.Dispose();
            }

            _slots.Clear();
        }
    }

    private sealed class Slot(TReader reader)
    {
        public TReader Reader { get; } = reader;

        public SemaphoreSlim Gate { get; } = new(1, 1);
    }
}

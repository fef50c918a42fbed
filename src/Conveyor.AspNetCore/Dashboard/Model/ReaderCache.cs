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
            slot.Enter();
        }

        try
        {
            await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                ObjectDisposedException.ThrowIf(slot.Closed, this);
                return await Task.Run(() => read(slot.Reader), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                slot.Gate.Release();
            }
        }
        finally
        {
            slot.Exit();
        }
    }

    /// <summary>
    /// Disposes each reader no request uses; one in use is disposed by its last user when it is
    /// done. The dashboard disposes the cache when the application starts stopping, before the
    /// server has drained its requests, and a page refresh may then be inside a native client
    /// call: disposing the client under it freed memory that call still used (the integration test
    /// host died with glibc's "malloc(): unsorted double linked list corrupted" after the
    /// dashboard tests).
    /// </summary>
    public void Dispose()
    {
        List<Slot> slots;
        lock (_lock)
        {
            _disposed = true;
            slots = [.. _slots.Values];
            _slots.Clear();
        }

        foreach (var slot in slots)
        {
            slot.Close();
        }
    }

    /// <summary>A reader and the requests that use it or wait for it; the last one out after <see cref="Close"/> disposes it.</summary>
    private sealed class Slot(TReader reader)
    {
        private readonly Lock _lock = new();
        private int _users;

        public TReader Reader { get; } = reader;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public bool Closed { get; private set; }

        public void Enter()
        {
            lock (_lock)
            {
                _users++;
            }
        }

        public void Exit()
        {
            lock (_lock)
            {
                if (--_users > 0 || !Closed)
                {
                    return;
                }
            }

            Reader.Dispose();
        }

        public void Close()
        {
            lock (_lock)
            {
                Closed = true;
                if (_users > 0)
                {
                    return;
                }
            }

            Reader.Dispose();
        }
    }
}

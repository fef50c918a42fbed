using Conveyor.AspNetCore.Dashboard.Model;

namespace Conveyor.Tests.AspNetCore.Dashboard;

public class ReaderCacheTests
{
    [Fact]
    public async Task Each_key_gets_one_reader_made_once_and_used_by_one_request_at_a_time()
    {
        using var cache = new ReaderCache<Reader>();
        var opened = new System.Collections.Concurrent.ConcurrentBag<Reader>();
        Reader Open()
        {
            var reader = new Reader();
            opened.Add(reader);
            return reader;
        }

        var reads = Enumerable.Range(0, 5).Select(i => cache.ReadAsync(i < 3 ? "a" : "b", Open, reader => reader.Read())).ToList();
        var results = await Task.WhenAll(reads).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, opened.Count);
        Assert.Equal([1, 1, 2, 2, 3], results.Order());
        Assert.All(opened, reader => Assert.Equal(0, reader.Overlaps));
    }

    [Fact]
    public async Task Disposing_the_cache_disposes_its_readers_and_refuses_further_reads()
    {
        var cache = new ReaderCache<Reader>();
        var reader = new Reader();
        await cache.ReadAsync("a", () => reader, r => r.Read());

        cache.Dispose();

        Assert.True(reader.Disposed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => cache.ReadAsync("a", () => new Reader(), r => r.Read()));
    }

    [Fact]
    public async Task A_reader_in_use_when_the_cache_is_disposed_is_disposed_only_once_its_read_is_done()
    {
        // The dashboard disposes its caches when the application starts stopping, while a page
        // refresh may still be reading (a native client call, in production).
        var cache = new ReaderCache<BlockingReader>();
        var reader = new BlockingReader();
        var read = cache.ReadAsync("a", () => reader, r => r.Read());
        await reader.Reading.WaitAsync(TimeSpan.FromSeconds(30));

        cache.Dispose();
        var disposedDuringTheRead = reader.Disposed;
        reader.Finish();

        Assert.False(await read.WaitAsync(TimeSpan.FromSeconds(30)), "the read saw its reader disposed under it");
        Assert.False(disposedDuringTheRead, "the cache disposed a reader while a read was using it");
        Assert.True(reader.Disposed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => cache.ReadAsync("a", () => new BlockingReader(), r => r.Read()));
    }

    /// <summary>A reader whose read waits until <see cref="Finish"/>, and then tells whether it was disposed meanwhile.</summary>
    private sealed class BlockingReader : IDisposable
    {
        private readonly TaskCompletionSource _reading = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ManualResetEventSlim _finish = new();

        public Task Reading => _reading.Task;

        public bool Disposed { get; private set; }

        public bool Read()
        {
            _reading.TrySetResult();
            _finish.Wait();
            return Disposed;
        }

        public void Finish() => _finish.Set();

        public void Dispose() => Disposed = true;
    }

    private sealed class Reader : IDisposable
    {
        // How long the first read waits for another to come in beside it, were one let in (long
        // enough for the thread pool to add a thread for it on a busy machine).
        private static readonly TimeSpan StillAlone = TimeSpan.FromSeconds(2);
        private readonly ManualResetEventSlim _joined = new();
        private int _inUse;
        private int _reads;

        public int Overlaps { get; private set; }

        public bool Disposed { get; private set; }

        /// <summary>Counts its reads; notes a read that began while another was on.</summary>
        public int Read()
        {
            if (Interlocked.Increment(ref _inUse) > 1)
            {
                Overlaps++;
                _joined.Set();
            }
            else if (_reads == 0)
            {
                _joined.Wait(StillAlone);
            }

            Interlocked.Decrement(ref _inUse);
            return Interlocked.Increment(ref _reads);
        }

        public void Dispose()
        {
            Disposed = true;
            _joined.Dispose();
        }
    }
}

using System.Threading.Tasks.Sources;
using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Forwarding;

/// <summary>
/// Bounds the outputs handed to the producer and not yet acknowledged, by count and bytes. A
/// sender waits for room; an empty window always admits one sender, however large, so that an
/// input with outputs beyond the bound still goes (alone). Thread-safe: workers enter, the
/// producer's delivery reports leave. An admitted waiter continues off the thread that made room
/// (the thread pool, or the simulator's next event: <see cref="Runtime"/>), never under this lock.
/// Workers wait for room before they take a message, too (<c>OutputWindow.Room.cs</c>).
/// </summary>
/// <remarks>
/// With a backlog the window is full most of the time, so many inputs would wait: a wait reuses a
/// waiter (no task, completion source or cancellation closure per wait), except one whose
/// cancellation callback may still run, which is left to the collector.
/// </remarks>
internal sealed partial class OutputWindow
{
    private readonly Lock _lock = new();
    private readonly int _maxOutputs;
    private readonly long _maxBytes;
    private readonly Queue<Waiter> _waiters = new();
    private readonly Stack<Waiter> _free = new();
    private int _outputs;
    private long _bytes;

    public OutputWindow(int maxOutputs, long maxBytes)
    {
        _maxOutputs = maxOutputs;
        _maxBytes = maxBytes;
    }

    /// <summary>
    /// Where an admitted waiter continues: the thread pool by default; a simulator's runtime runs it
    /// as its next event, so a full window is deterministic on one thread. Set before the first wait.
    /// </summary>
    public EngineRuntime Runtime { get; set; } = EngineRuntime.Default;

    /// <summary>Outputs in the window now.</summary>
    public int Outputs => Volatile.Read(ref _outputs);

    /// <summary>Takes room for <paramref name="outputs"/> outputs of <paramref name="bytes"/> bytes, waiting (in order of arrival) until there is some.</summary>
    public ValueTask EnterAsync(int outputs, long bytes, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            Sized(outputs, bytes);
            if (_waiters.Count == 0 && Fits(outputs, bytes))
            {
                Take(outputs, bytes);
                return ValueTask.CompletedTask;
            }

            var waiter = _free.TryPop(out var free) ? free : new Waiter(this);
            waiter.Outputs = outputs;
            waiter.Bytes = bytes;
            _waiters.Enqueue(waiter);
            if (cancellationToken.CanBeCanceled)
            {
                // Under the lock, so an admission sees the registration it must undo. A static
                // callback with the waiter as its state: no closure per wait. (A token cancelled
                // already runs it here, re-entering the lock.)
                waiter.Cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((Waiter)state!).Window.Cancel((Waiter)state!, token), waiter);
            }

            return new ValueTask(waiter, waiter.Version);
        }
    }

    /// <summary>Takes room without waiting (outputs sent again, which had room before).</summary>
    public void Force(int outputs, long bytes)
    {
        lock (_lock)
        {
            Take(outputs, bytes);
        }
    }

    /// <summary>Gives back the room of acknowledged (or failed) outputs, admitting waiters that now fit.</summary>
    public void Leave(int outputs, long bytes)
    {
        lock (_lock)
        {
            _outputs -= outputs;
            _bytes -= bytes;
            AdmitLocked();
        }
    }

    private void Cancel(Waiter waiter, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!waiter.Done)
            {
                waiter.Done = true;
                waiter.Reusable = false;
                waiter.Fail(new OperationCanceledException(cancellationToken));
                AdmitLocked(); // it may have been first in line
            }
        }
    }

    /// <summary>Admits waiters in order while the first one fits; drops cancelled ones; then workers waiting for room to take (<see cref="AdmitTakersLocked"/>).</summary>
    private void AdmitLocked()
    {
        while (_waiters.TryPeek(out var next) && (next.Done || Fits(next.Outputs, next.Bytes)))
        {
            _waiters.Dequeue();
            if (!next.Done)
            {
                next.Done = true;
                Take(next.Outputs, next.Bytes);

                // Unregister, not Dispose: Dispose would wait for a cancellation callback that is
                // running, which waits for this lock. A callback that may still run finds the
                // waiter done; such a waiter is not reused, so it never finds a later wait's.
                next.Reusable = next.Cancellation == default || next.Cancellation.Unregister();
                Resume(next);
            }
        }

        AdmitTakersLocked();
    }

    // The thread pool's continuation (the waiter runs them asynchronously), or the simulator's event:
    // either way the waiter's sends never run inside this lock or on the delivery thread that left.
    private void Resume(Waiter waiter)
    {
        if (Runtime.OnOneThread)
        {
            Runtime.Detach(static state => ((Waiter)state!).Admit(), waiter);
        }
        else
        {
            waiter.Admit();
        }
    }

    /// <summary>Keeps a waiter whose wait was observed, for the next wait.</summary>
    private void Return(Waiter waiter)
    {
        lock (_lock)
        {
            _free.Push(waiter);
        }
    }

    private bool Fits(int outputs, long bytes) =>
        _outputs == 0 || (_outputs + outputs <= _maxOutputs && _bytes + bytes <= _maxBytes);

    private void Take(int outputs, long bytes)
    {
        _outputs += outputs;
        _bytes += bytes;
    }

    /// <summary>One wait for room, reused: completed once (admitted or cancelled), then given back when its awaiter read the result.</summary>
    private sealed class Waiter(OutputWindow window) : IValueTaskSource
    {
        // On one thread (the simulator) the admission already arrives as an event of its own.
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = !window.Runtime.OnOneThread };

        public OutputWindow Window { get; } = window;

        public int Outputs { get; set; }

        public long Bytes { get; set; }

        /// <summary>Admitted or cancelled; written under the window's lock.</summary>
        public bool Done { get; set; }

        /// <summary>False when a cancellation callback may still run for it: it is not reused.</summary>
        public bool Reusable { get; set; }

        public CancellationTokenRegistration Cancellation { get; set; }

        public short Version => _core.Version;

        public void Admit() => _core.SetResult(true);

        public void Fail(Exception exception) => _core.SetException(exception);

        public void GetResult(short token)
        {
            try
            {
                _core.GetResult(token);
            }
            finally
            {
                if (Reusable)
                {
                    _core.Reset();
                    Done = false;
                    Reusable = false;
                    Cancellation = default;
                    Window.Return(this);
                }
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}

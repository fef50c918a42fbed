using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Forwarding;

/// <summary>
/// Bounds the outputs handed to the producer and not yet acknowledged, by count and bytes. A
/// sender waits for room; an empty window always admits one sender, however large, so that an
/// input with outputs beyond the bound still goes (alone). Thread-safe: workers enter, the
/// producer's delivery reports leave. An admitted waiter continues off the thread that made room
/// (the thread pool, or the simulator's next event: <see cref="Runtime"/>), never under this lock.
/// </summary>
internal sealed class OutputWindow
{
    private readonly Lock _lock = new();
    private readonly int _maxOutputs;
    private readonly long _maxBytes;
    private readonly Queue<Waiter> _waiters = new();
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
        Waiter waiter;
        lock (_lock)
        {
            if (_waiters.Count == 0 && Fits(outputs, bytes))
            {
                Take(outputs, bytes);
                return ValueTask.CompletedTask;
            }

            waiter = new Waiter(outputs, bytes, Runtime.OnOneThread ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
        }

        return Wait(waiter, cancellationToken);
    }

    // Apart from EnterAsync, whose every call would otherwise make this closure, waiting or not.
    private ValueTask Wait(Waiter waiter, CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            waiter.Cancellation = cancellationToken.Register(() => Cancel(waiter, cancellationToken));
        }

        return new ValueTask(waiter.Admitted.Task);
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
            if (!waiter.Granted && waiter.Admitted.TrySetCanceled(cancellationToken))
            {
                AdmitLocked(); // it may have been first in line
            }
        }
    }

    /// <summary>Admits waiters in order while the first one fits; drops cancelled ones.</summary>
    private void AdmitLocked()
    {
        while (_waiters.TryPeek(out var next) && (next.Admitted.Task.IsCompleted || Fits(next.Outputs, next.Bytes)))
        {
            _waiters.Dequeue();
            if (!next.Admitted.Task.IsCompleted)
            {
                Take(next.Outputs, next.Bytes);
                next.Granted = true;
                next.Cancellation.Dispose();
                Resume(next);
            }
        }
    }

    // The thread pool's continuation (the source runs them asynchronously), or the simulator's event:
    // either way the waiter's sends never run inside this lock or on the delivery thread that left.
    private void Resume(Waiter waiter)
    {
        if (Runtime.OnOneThread)
        {
            Runtime.Detach(static state => ((Waiter)state!).Admitted.TrySetResult(), waiter);
        }
        else
        {
            waiter.Admitted.TrySetResult();
        }
    }

    private bool Fits(int outputs, long bytes) =>
        _outputs == 0 || (_outputs + outputs <= _maxOutputs && _bytes + bytes <= _maxBytes);

    private void Take(int outputs, long bytes)
    {
        _outputs += outputs;
        _bytes += bytes;
    }

    private sealed record Waiter(int Outputs, long Bytes, TaskCreationOptions Continuations)
    {
        public TaskCompletionSource Admitted { get; } = new(Continuations);

        /// <summary>Room was taken for it (its resume may still be on its way): a cancellation no longer applies.</summary>
        public bool Granted { get; set; }

        public CancellationTokenRegistration Cancellation { get; set; }
    }
}

namespace Conveyor.Processing.Forwarding;

/// <summary>
/// Bounds the outputs handed to the producer and not yet acknowledged, by count and bytes. A
/// sender waits for room; an empty window always admits one sender, however large, so that an
/// input with outputs beyond the bound still goes (alone). Thread-safe: workers enter, the
/// producer's delivery reports leave.
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

            waiter = new Waiter(outputs, bytes);
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
            if (waiter.Admitted.TrySetCanceled(cancellationToken))
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
                next.Admitted.TrySetResult();
                next.Cancellation.Dispose();
            }
        }
    }

    private bool Fits(int outputs, long bytes) =>
        _outputs == 0 || (_outputs + outputs <= _maxOutputs && _bytes + bytes <= _maxBytes);

    private void Take(int outputs, long bytes)
    {
        _outputs += outputs;
        _bytes += bytes;
    }

    private sealed record Waiter(int Outputs, long Bytes)
    {
        public TaskCompletionSource Admitted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Cancellation { get; set; }
    }
}

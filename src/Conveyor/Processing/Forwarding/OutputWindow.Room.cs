using System.Threading.Tasks.Sources;
using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Forwarding;

/// <summary>
/// Room to take: a pipelined forwarder's workers wait here before they take their next message
/// (<see cref="ITakeRoom"/>), so that while the window is full no input is taken and handled only to
/// wait with its outputs (each such wait suspended the worker's whole chain of calls, and resumed
/// it, for every input). A worker holding room counts as one input of the size of the last one
/// entered until its message ended; it is admitted while the outputs in the window and those held
/// for fit the bounds, and only when no sender waits (those inputs were taken already). Only when
/// to take depends on this: <see cref="EnterAsync"/> keeps the bounds as before.
/// </summary>
/// <remarks>
/// <para>
/// Waiting workers are admitted in batches, because each admission is a continuation on the thread
/// pool (often a pool thread woken): once workers wait, one is admitted for every
/// <see cref="AdmitBatchLocked">batch</see> of inputs' room free beside the window's outputs and the
/// room held (a batch is 16 inputs of the last size, at most a quarter of what the window holds,
/// at least one), and it goes on taking while there is room for its next (<see cref="HoldNextAsync"/>),
/// without another wake-up. Room for fewer than a batch admits nobody, except that a window with no
/// outputs and no room held admits one worker whatever the sizes. Before, each input's room admitted
/// a worker that found the window full again after one input.
/// </para>
/// <para>
/// No wait can hang on this: the window empties as the producer acknowledges or fails what it holds,
/// so room for a batch comes at the latest when it is empty (a batch is at most a quarter of it), or
/// the room is held by workers that take the next messages themselves; room held goes back when its
/// worker's message ended, which never waits for a worker here. A stop or the end of the run opens
/// the window (<see cref="Open"/>), admitting every worker.
/// </para>
/// </remarks>
internal sealed partial class OutputWindow : ITakeRoom
{
    /// <summary>Inputs' room that admits one waiting worker, in a window that holds four times as many or more.</summary>
    internal const int AdmitBatch = 16;

    private readonly Queue<Taker> _takers = new();
    private readonly Stack<Taker> _freeTakers = new();
    private int _held;
    private int _sizeOutputs = 1;
    private long _sizeBytes;
    private bool _open;

    /// <summary>Workers holding room for a message now.</summary>
    public int HeldRooms
    {
        get
        {
            lock (_lock)
            {
                return _held;
            }
        }
    }

    /// <summary>Workers waiting for room now.</summary>
    public int WaitingToTake
    {
        get
        {
            lock (_lock)
            {
                return _takers.Count;
            }
        }
    }

    public ValueTask HoldAsync()
    {
        lock (_lock)
        {
            return _takers.Count == 0 && HasRoomLocked() ? HoldLocked() : WaitToTakeLocked();
        }
    }

    public ValueTask HoldNextAsync()
    {
        lock (_lock)
        {
            // Before the workers waiting: this one holds no message either, and going on now
            // needs no wake-up. The room it gives back is the room it holds again.
            _held--;
            return HasRoomLocked() ? HoldLocked() : WaitToTakeLocked();
        }
    }

    public void Release()
    {
        lock (_lock)
        {
            _held--;
            AdmitTakersLocked();
        }
    }

    public void Open()
    {
        lock (_lock)
        {
            _open = true;
            AdmitTakersLocked();
        }
    }

    /// <summary>The size a worker's next input is held for: the last one's that entered (at least one output).</summary>
    private void Sized(int outputs, long bytes)
    {
        _sizeOutputs = Math.Max(outputs, 1);
        _sizeBytes = bytes;
    }

    /// <summary>Room for one more input beside those in the window and those held for; an empty window with nothing held always has some. No sender may wait.</summary>
    private bool HasRoomLocked()
    {
        if (_open)
        {
            return true;
        }

        if (_waiters.Count > 0)
        {
            return false;
        }

        var inputs = _held + 1L;
        return (_outputs == 0 && _held == 0)
            || (_outputs + (inputs * _sizeOutputs) <= _maxOutputs && _bytes + (inputs * _sizeBytes) <= _maxBytes);
    }

    /// <summary>How many waiting workers room admits now: one per batch of inputs free; one when the window is empty and no room is held; none while a sender waits.</summary>
    private long TakersToAdmitLocked()
    {
        if (_waiters.Count > 0)
        {
            return 0;
        }

        if (_outputs == 0 && _held == 0)
        {
            return Math.Max(1, FreeInputsLocked(_maxOutputs, _maxBytes) / AdmitBatchLocked());
        }

        return FreeInputsLocked(_maxOutputs - _outputs, _maxBytes - _bytes) / AdmitBatchLocked();
    }

    /// <summary>Inputs of the last size that fit in <paramref name="outputs"/> and <paramref name="bytes"/>, less the room held (none: zero or less).</summary>
    private long FreeInputsLocked(long outputs, long bytes)
    {
        var inputs = Math.Min(outputs / _sizeOutputs, _sizeBytes == 0 ? long.MaxValue : bytes / _sizeBytes);
        return outputs < 0 || bytes < 0 ? 0 : inputs - _held;
    }

    /// <summary>The inputs' room that admits one waiting worker: <see cref="AdmitBatch"/>, at most a quarter of the inputs of the last size an empty window holds, at least one.</summary>
    private long AdmitBatchLocked()
    {
        var capacity = Math.Min(_maxOutputs / _sizeOutputs, _sizeBytes == 0 ? long.MaxValue : _maxBytes / _sizeBytes);
        return Math.Clamp(capacity / 4, 1, AdmitBatch);
    }

    private ValueTask HoldLocked()
    {
        _held++;
        return ValueTask.CompletedTask;
    }

    private ValueTask WaitToTakeLocked()
    {
        var taker = _freeTakers.TryPop(out var free) ? free : new Taker(this);
        _takers.Enqueue(taker);
        return new ValueTask(taker, taker.Version);
    }

    /// <summary>Admits waiting workers in order, one for every batch of inputs' room free (see the remarks); each then holds room for one.</summary>
    private void AdmitTakersLocked()
    {
        if (_takers.Count == 0)
        {
            return;
        }

        var admit = _open ? _takers.Count : TakersToAdmitLocked();
        for (; admit > 0 && _takers.Count > 0; admit--)
        {
            _held++;
            var taker = _takers.Dequeue();
            if (Runtime.OnOneThread)
            {
                Runtime.Detach(static state => ((Taker)state!).Admit(), taker);
            }
            else
            {
                taker.Admit(); // its continuation runs on the thread pool (the taker runs them asynchronously)
            }
        }
    }

    /// <summary>Keeps a taker whose wait was observed, for the next wait.</summary>
    private void Return(Taker taker)
    {
        lock (_lock)
        {
            _freeTakers.Push(taker);
        }
    }

    /// <summary>One worker's wait for room to take, reused: completed once (admitted), then given back when the worker read the result.</summary>
    private sealed class Taker(OutputWindow window) : IValueTaskSource
    {
        private readonly OutputWindow _window = window;

        // On one thread (the simulator) the admission already arrives as an event of its own.
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = !window.Runtime.OnOneThread };

        public short Version => _core.Version;

        public void Admit() => _core.SetResult(true);

        public void GetResult(short token)
        {
            _core.GetResult(token);
            _core.Reset();
            _window.Return(this);
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}

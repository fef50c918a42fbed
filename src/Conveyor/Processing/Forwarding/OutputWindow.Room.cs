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
/// No wait can hang on this: the window empties as the producer acknowledges or fails what it holds,
/// and room held goes back when its worker's message ended, which never waits for a worker here.
/// </remarks>
internal sealed partial class OutputWindow : ITakeRoom
{
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

    /// <summary>Admits waiting workers in order while there is room; each then holds it.</summary>
    private void AdmitTakersLocked()
    {
        while (_takers.Count > 0 && HasRoomLocked())
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

namespace Conveyor.Processing.Transactions;

/// <summary>
/// Keeps handlers and transaction commits apart: a worker holds the gate from the start of a
/// message until the engine marked it finished; a commit closes the gate, waits until no worker
/// holds it, commits, and opens it again. So a committed transaction never holds outputs of a
/// message whose offset it does not cover.
/// </summary>
internal sealed class TransactionGate
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _opened = Completed();
    private TaskCompletionSource? _idle;
    private int _holders;
    private bool _closed;

    /// <summary>A worker starts a message; waits while a commit is running.</summary>
    public async ValueTask EnterAsync()
    {
        while (true)
        {
            Task opened;
            lock (_lock)
            {
                if (!_closed)
                {
                    _holders++;
                    return;
                }

                opened = _opened.Task;
            }

            await opened.ConfigureAwait(false);
        }
    }

    /// <summary>The worker's message is finished (or given up) and the engine knows it.</summary>
    public void Exit()
    {
        lock (_lock)
        {
            _holders--;
            if (_holders == 0)
            {
                _idle?.TrySetResult();
            }
        }
    }

    /// <summary>Lets no new message start and waits until running ones are done; false when the timeout passed first (the gate stays closed: call <see cref="Open"/>).</summary>
    public bool Close(TimeSpan timeout)
    {
        Task idle;
        lock (_lock)
        {
            if (!_closed)
            {
                _closed = true;
                _opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            if (_holders == 0)
            {
                return true;
            }

            _idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            idle = _idle.Task;
        }

        return idle.Wait(timeout);
    }

    public void Open()
    {
        lock (_lock)
        {
            _closed = false;
            _idle = null;
            _opened.TrySetResult();
        }
    }

    private static TaskCompletionSource Completed()
    {
        var source = new TaskCompletionSource();
        source.SetResult();
        return source;
    }
}

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
    private readonly Engine.EngineRuntime _runtime;
    private TaskCompletionSource _opened = Completed();
    private TaskCompletionSource? _idle;
    private int _holders;
    private bool _closed;

    /// <param name="runtime">How the poll thread waits for running handlers, and how waiting workers continue; the system's when null.</param>
    public TransactionGate(Engine.EngineRuntime? runtime = null) => _runtime = runtime ?? Engine.EngineRuntime.Default;

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

            await (_runtime.OnOneThread ? OwnWait(opened) : opened).ConfigureAwait(false);
        }
    }

    /// <summary>A task of this worker's own that completes with <paramref name="opened"/>: a task with several awaiters runs some of them on the thread pool, which a simulator's one thread must not.</summary>
    private static Task OwnWait(Task opened) =>
        opened.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

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
                _opened = new TaskCompletionSource(_runtime.DrainCompletion);
            }

            if (_holders == 0)
            {
                return true;
            }

            _idle = new TaskCompletionSource(_runtime.DrainCompletion);
            idle = _idle.Task;
        }

        return _runtime.Wait(idle, timeout);
    }

    public void Open()
    {
        TaskCompletionSource opened;
        lock (_lock)
        {
            _closed = false;
            _idle = null;
            opened = _opened;
        }

        if (_runtime.OnOneThread)
        {
            // Waiting workers continue as the simulator's next event, not inside the poll thread's commit.
            _runtime.Detach(static state => ((TaskCompletionSource)state!).TrySetResult(), opened);
        }
        else
        {
            opened.TrySetResult();
        }
    }

    private static TaskCompletionSource Completed()
    {
        var source = new TaskCompletionSource();
        source.SetResult();
        return source;
    }
}

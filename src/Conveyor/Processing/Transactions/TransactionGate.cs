using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Transactions;

/// <summary>
/// Keeps output writes and transaction commits apart: a message holds the gate from just before
/// its first output is written into the open transaction until the engine marked it finished; a
/// commit closes the gate, waits until no message holds it, commits, and opens it again. So a
/// committed transaction never holds outputs of a message whose offset it does not cover.
/// <para>
/// A handler that has written nothing holds nothing: the transaction has no output of it, so a
/// commit need not wait for it (the user's code may run for seconds). If it finishes before the
/// commit its offset counts; if not, the offset stops before it. When it comes to write, it
/// waits while a commit runs, and its outputs go into the next transaction. A message whose
/// partition was closed meanwhile (revoked, lost, or rewound by an abort) must not write at
/// all: its outputs could only commit without its offset.
/// </para>
/// </summary>
internal sealed class TransactionGate
{
    private readonly Lock _lock = new();
    private readonly EngineRuntime _runtime;
    private TaskCompletionSource _opened = Completed();
    private TaskCompletionSource? _idle;
    private int _holders;
    private bool _closed;

    /// <param name="runtime">How the poll thread waits for holders, and how waiting writers continue; the system's when null.</param>
    public TransactionGate(EngineRuntime? runtime = null) => _runtime = runtime ?? EngineRuntime.Default;

    /// <summary>
    /// <paramref name="item"/> is about to write an output: waits while a commit is running, then
    /// holds the gate until <see cref="Release"/>. False (and nothing held) when the message's
    /// partition was closed meanwhile: it must write nothing and stay unfinished.
    /// </summary>
    public async ValueTask<bool> EnterAsync(WorkItem item)
    {
        if (item.HoldsGate)
        {
            return true;
        }

        while (true)
        {
            Task opened;
            lock (_lock)
            {
                // Partitions are closed only with the gate closed (a revoke, a loss, an abort's
                // rewind), so a partition open when the hold is taken stays open while it is held,
                // unless a commit gave up waiting for holders, and then it aborts their transaction too.
                if (item.Partition.Closed && !_runtime.Bugs.HasFlag(ReintroducedBugs.WriteAfterPartitionWent))
                {
                    return false;
                }

                if (!_closed)
                {
                    _holders++;
                    item.HoldsGate = true;
                    return true;
                }

                opened = _opened.Task;
            }

            await (_runtime.OnOneThread ? OwnWait(opened) : opened).ConfigureAwait(false);
        }
    }

    /// <summary>The message is finished (or given up) and the engine knows it: lets go of the gate if it held it.</summary>
    public void Release(WorkItem item)
    {
        if (item.HoldsGate)
        {
            item.HoldsGate = false;
            Exit();
        }
    }

    /// <summary>Holds the gate, waiting while a commit is running (a batch's worker holds it from the start of its run).</summary>
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

    /// <summary>Lets go of a hold taken with <see cref="EnterAsync()"/>.</summary>
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

    /// <summary>Lets no new hold start and waits until the held ones are let go; false when the timeout passed first (the gate stays closed: call <see cref="Open"/>).</summary>
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

    /// <summary>
    /// Wakes the writers waiting for the gate while it stays closed: those whose partition was
    /// closed meanwhile give up (<see cref="EnterAsync(WorkItem)"/> returns false), the rest wait on.
    /// </summary>
    public void Wake()
    {
        TaskCompletionSource waiting;
        lock (_lock)
        {
            if (!_closed)
            {
                return;
            }

            waiting = _opened;
            _opened = new TaskCompletionSource(_runtime.DrainCompletion);
        }

        Complete(waiting);
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

        Complete(opened);
    }

    private void Complete(TaskCompletionSource opened)
    {
        if (_runtime.OnOneThread)
        {
            // Waiting writers continue as the simulator's next event, not inside the poll thread's commit.
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

using System.Collections.Concurrent;
using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Commits;

/// <summary>
/// The thread the asynchronous commits are sent on: one per processor, started with the first
/// send, woken when there is one, ended by <see cref="Dispose"/>. A thread of its own, not the
/// pool's, because a commit blocks until the coordinator answers (<see cref="OwnThread"/>); one
/// that lives, because a thread per send made as many threads a second as there were commits
/// (<see cref="ProcessorOptions.CommitEveryMessages"/> = 1: one per poll turn).
/// </summary>
internal sealed class CommitSendThread : IDisposable
{
    private readonly BlockingCollection<(Action Work, TaskCompletionSource Done)> _sends = [];
    private readonly Lock _lock = new();
    private Thread? _thread;
    private bool _ended;

    /// <summary>Runs <paramref name="work"/> on this thread, after the sends before it; the task completes when it has run. After <see cref="Dispose"/>, on a thread of its own.</summary>
    public Task Run(Action work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_ended)
            {
                return OwnThread.Run(work); // a revoke inside the consumer's close, after the stop's last commit
            }

            _sends.Add((work, done));
            if (_thread is null)
            {
                _thread = new Thread(Loop) { IsBackground = true, Name = "Conveyor commits" };
                _thread.Start();
            }
        }

        return done.Task;
    }

    /// <summary>Ends the thread once the sends taken already have run.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_ended)
            {
                return;
            }

            _ended = true;
            _sends.CompleteAdding();
            if (_thread is null)
            {
                _sends.Dispose(); // never started: nothing else holds it
            }
        }
    }

    private void Loop()
    {
        foreach (var (work, done) in _sends.GetConsumingEnumerable())
        {
            try
            {
                work();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }

        _sends.Dispose(); // ended: nothing is added any more
    }
}

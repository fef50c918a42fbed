namespace Conveyor.Processing;

/// <summary>
/// A processor's one run and its disposal, alike for every kind: a processor runs once, and
/// disposing it stops a run in progress (as cancelling it would: drain, commit, leave the group)
/// and waits for it to end.
/// </summary>
internal sealed class RunOnce
{
    // Cancelled by DisposeAsync; never disposed itself, as a run may still link to it (it owns no timer).
    private readonly CancellationTokenSource _disposing = new();

    // Completed only after the task RunAsync returned has completed, so a caller who awaited
    // DisposeAsync finds its run task finished (a flag set inside the run could be seen first).
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _started;

    /// <summary>Runs <paramref name="run"/> with a token cancelled by <paramref name="cancellationToken"/> or by disposal.</summary>
    /// <exception cref="InvalidOperationException">It ran before.</exception>
    /// <exception cref="ObjectDisposedException">It was disposed before it ran.</exception>
    public Task RunAsync(Func<CancellationToken, Task> run, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            return Task.FromException(new InvalidOperationException("A processor runs once; create a new one to run again."));
        }

        var running = RunLinkedAsync(run, cancellationToken);
        _ = running.ContinueWith(static (_, ended) => ((TaskCompletionSource)ended!).TrySetResult(), _ended, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return running;
    }

    /// <summary>Stops a run in progress and waits for its end; its failure, if any, is for the caller of <see cref="RunAsync"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        await _disposing.CancelAsync().ConfigureAwait(false);
        if (Volatile.Read(ref _started) != 0)
        {
            await _ended.Task.ConfigureAwait(false);
        }
    }

    private async Task RunLinkedAsync(Func<CancellationToken, Task> run, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposing.IsCancellationRequested, this);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        await run(stopping.Token).ConfigureAwait(false);
    }
}

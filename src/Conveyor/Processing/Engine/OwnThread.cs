namespace Conveyor.Processing.Engine;

/// <summary>
/// Runs work that blocks in a native call until the cluster answers (a metadata look-up, a commit
/// waiting for its coordinator) on a thread of its own, never on the thread pool. The workers'
/// wake-ups run on the pool, which starts with one thread per core (two here, some held by the
/// host): a pool thread held for seconds by such a call made the first handlers wait for the
/// pool to grow, and a full buffer that long paused every partition.
/// </summary>
internal static class OwnThread
{
    /// <summary>Starts <paramref name="work"/> on a thread of its own; the thread ends with it.</summary>
    public static Task Run(Action work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>As <see cref="Run(Action)"/>, for work with an answer.</summary>
    public static Task<T> Run<T>(Func<T> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}

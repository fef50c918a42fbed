using System.Threading.Tasks.Sources;

namespace Conveyor.Processing.Engine;

/// <summary>
/// One worker's wait for a ready message (<see cref="Dispatcher.TakeAsync"/>), reused for every
/// wait of that worker so that waiting allocates nothing. The dispatcher completes it under its
/// lock; the worker's continuation runs on the thread pool, never on the thread that made the
/// message ready (the poll thread, or a worker finishing the lane's previous message).
/// </summary>
internal sealed class ReadyWaiter : IValueTaskSource<WorkItem?>
{
    private readonly Action<Action<object?>, object?>? _post;
    private ManualResetValueTaskSourceCore<WorkItem?> _core;

    /// <param name="runtime">Where the worker's continuation runs: the thread pool, unless a simulator posts it to its own queue.</param>
    public ReadyWaiter(EngineRuntime? runtime = null)
    {
        _post = runtime?.Post;
        _core = new() { RunContinuationsAsynchronously = _post is null };
    }

    /// <summary>For batches: the run the dispatcher handed over with the last message (filled under its lock, read by the worker after its wait).</summary>
    public List<WorkItem> Run { get; } = [];

    /// <summary>
    /// Whether the message of the last take is running already (<see cref="Dispatcher.TakeNextAsync"/>
    /// marked it under the take's lock); false: the worker marks it (<see cref="Dispatcher.TryStart"/>).
    /// Written under the dispatcher's lock before the take returns or waits, read by the worker after it.
    /// </summary>
    public bool Started { get; set; }

    /// <summary>Starts a new wait; its task completes with a message, or null once the dispatcher has completed.</summary>
    public ValueTask<WorkItem?> Wait()
    {
        _core.Reset();
        return new ValueTask<WorkItem?>(this, _core.Version);
    }

    public void Complete(WorkItem? item) => _core.SetResult(item);

    WorkItem? IValueTaskSource<WorkItem?>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<WorkItem?>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<WorkItem?>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(_post is null ? continuation : Posted(_post, continuation), state, token, flags);

    private static Action<object?> Posted(Action<Action<object?>, object?> post, Action<object?> continuation) => state => post(continuation, state);
}

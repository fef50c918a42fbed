using System.Collections.Concurrent;

namespace Conveyor.Processing.Engine;

/// <summary>
/// The way into the poll thread for work that must run there (it alone touches the consumer and
/// the poll thread's partition state): any thread posts a command, and the poll loop runs the
/// pending ones, in the order posted, once per turn before it looks at anything else.
/// </summary>
internal sealed class PollCommands
{
    private readonly ConcurrentQueue<Action> _pending = new();

    /// <summary>Runs <paramref name="command"/> on the poll thread at the start of its next turn. Thread-safe.</summary>
    public void Post(Action command) => _pending.Enqueue(command);

    /// <summary>Runs the commands posted so far; a command posted meanwhile runs at the next turn. Poll thread only.</summary>
    public void RunPending()
    {
        for (var count = _pending.Count; count > 0 && _pending.TryDequeue(out var command); count--)
        {
            command();
        }
    }
}

namespace Conveyor.Fleet;

/// <summary>
/// A group's operator state, as the control topic's commands built it: the pauses in force (who
/// paused what, when) and the last concurrency limit asked for. Every instance builds the same
/// state from the same ordered commands, which is how a pause survives a rebalance (the next owner
/// holds it too) and a restart (replayed from the topic at start). Each command id counts once.
/// Thread-safe: the fleet member writes it, the poll thread and the status records read it.
/// </summary>
internal sealed class OperatorState(string group)
{
    private readonly Lock _lock = new();
    private readonly HashSet<string> _seen = [];
    private List<OperatorPause> _pauses = [];

    /// <summary>The last concurrency limit an operator asked for, and who asked; null when none did.</summary>
    public (int Limit, string By)? Concurrency { get; private set; }

    /// <summary>The pauses in force.</summary>
    public IReadOnlyList<OperatorPause> Pauses => Volatile.Read(ref _pauses);

    /// <summary>The pause that holds <paramref name="topic"/>'s <paramref name="partition"/>, or null.</summary>
    public OperatorPause? PauseOf(string topic, int partition) => Pauses.FirstOrDefault(p => p.Covers(topic, partition));

    /// <summary>
    /// Applies a command of this group once: false for another group's, or an id seen before. Pause
    /// and resume change the pauses; concurrency remembers the limit; rewind and stop change no state.
    /// </summary>
    public bool Apply(ControlCommand command)
    {
        lock (_lock)
        {
            if (command.Group != group || !_seen.Add(command.Id))
            {
                return false;
            }

            switch (command.Kind)
            {
                case ControlKind.Pause:
                    List<OperatorPause> added = command.Topic is null ? [new(null, null, command.By, command.At, command.Id)]
                        : command.Partitions is { Count: > 0 } partitions ? [.. partitions.Select(p => new OperatorPause(command.Topic, p, command.By, command.At, command.Id))]
                        : [new(command.Topic, null, command.By, command.At, command.Id)];
                    // A pause already in force keeps its first author and time.
                    Volatile.Write(ref _pauses, [.. _pauses, .. added.Where(a => !_pauses.Any(p => p.Topic == a.Topic && p.Partition == a.Partition))]);
                    break;
                case ControlKind.Resume:
                    Volatile.Write(ref _pauses, [.. _pauses.Where(p => !p.Within(command))]);
                    break;
                case ControlKind.Concurrency when command.Limit is { } limit:
                    Concurrency = (limit, command.By);
                    break;
            }

            return true;
        }
    }
}

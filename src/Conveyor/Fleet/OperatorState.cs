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
    private readonly List<(ControlCommand Rewind, HashSet<int> Undecided)> _rewinds = [];

    /// <summary>The last concurrency limit an operator asked for, and who asked; null when none did.</summary>
    public (int Limit, string By)? Concurrency { get; private set; }

    /// <summary>The pauses in force.</summary>
    public IReadOnlyList<OperatorPause> Pauses => Volatile.Read(ref _pauses);

    /// <summary>The pause that holds <paramref name="topic"/>'s <paramref name="partition"/>, or null.</summary>
    public OperatorPause? PauseOf(string topic, int partition) => Pauses.FirstOrDefault(p => p.Covers(topic, partition));

    /// <summary>
    /// The rewinds, in the order sent, that still wait for a new owner of one of <paramref name="partitions"/>
    /// (no owner decided them there yet, and their <see cref="ControlCommand.Until"/> is after
    /// <paramref name="now"/>), each narrowed to those of <paramref name="partitions"/> it waits for.
    /// </summary>
    public List<ControlCommand> PendingRewinds(IEnumerable<(string Topic, int Partition)> partitions, DateTimeOffset now)
    {
        lock (_lock)
        {
            var asked = partitions.ToList();
            return [.. _rewinds
                .Where(r => r.Rewind.Until > now)
                .Select(r => r.Rewind with { Partitions = [.. asked.Where(a => a.Topic == r.Rewind.Topic && r.Undecided.Contains(a.Partition)).Select(a => a.Partition).Distinct().Order()] })
                .Where(r => r.Partitions!.Count > 0)];
        }
    }

    /// <summary>
    /// Applies a command of this group once: false for another group's, or an id seen before. Pause
    /// and resume change the pauses; concurrency remembers the limit; a rewind that may wait
    /// (<see cref="ControlCommand.Until"/>) is pending until an owner decided each partition
    /// (<see cref="ControlKind.Rewound"/>); stop changes no state.
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
                case ControlKind.Rewind when command.Until is not null && command.Topic is not null && command.Partitions is { Count: > 0 } named:
                    _rewinds.Add((command, [.. named]));
                    break;
                case ControlKind.Rewound when command.Partitions is { } decided:
                    foreach (var (_, undecided) in _rewinds.Where(r => r.Rewind.Id == command.Of))
                    {
                        undecided.ExceptWith(decided);
                    }

                    _rewinds.RemoveAll(r => r.Undecided.Count == 0);
                    break;
            }

            return true;
        }
    }
}

namespace Conveyor.AspNetCore.Dashboard.Model;

/// <summary>
/// The commands sent (or refused) from this dashboard, newest first, the last <see cref="Capacity"/>
/// of them: kept in memory, so a restart of the application forgets them (the instances' answers stay
/// on the status topic).
/// </summary>
internal sealed class CommandLog
{
    public const int Capacity = 100;

    private readonly Lock _lock = new();
    private readonly LinkedList<SentCommand> _entries = [];

    public void Add(SentCommand entry)
    {
        lock (_lock)
        {
            _entries.AddFirst(entry);
            if (_entries.Count > Capacity)
            {
                _entries.RemoveLast();
            }
        }
    }

    public IReadOnlyList<SentCommand> Entries()
    {
        lock (_lock)
        {
            return [.. _entries];
        }
    }
}

/// <summary>One command from the dashboard: who asked, when, what, and whether it reached the control topic (<see cref="Id"/> null when it was refused before sending).</summary>
internal sealed record SentCommand(string? Id, string Group, string What, string By, DateTimeOffset At, string Result);

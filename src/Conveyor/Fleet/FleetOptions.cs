using Conveyor.Processing;

namespace Conveyor.Fleet;

/// <summary>
/// Makes the processor one visible, controllable member of a fleet: it publishes its status to
/// <see cref="StatusTopic"/> and obeys the operator commands on <see cref="ControlTopic"/>
/// (pause, resume, concurrency, rewind, stop; see docs/operations.md). Off while both are null.
/// Every instance of a group, and every group of a fleet, may share the two topics.
/// </summary>
public sealed record FleetOptions
{
    /// <summary>The topic each instance publishes its status record to; null publishes nothing.</summary>
    public string? StatusTopic { get; init; }

    /// <summary>The topic of operator commands, read by every instance without joining the group; null obeys none.</summary>
    public string? ControlTopic { get; init; }

    /// <summary>How often the status record is published (also once when the processor stops). Default 3 s; between 100 ms and 300 s.</summary>
    [AllowedRange(100, Maximum = 300_000)]
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>This instance's name in the fleet; null makes one from the host name, the process id and a random part.</summary>
    public string? InstanceId { get; init; }

    /// <summary>Whether any of the fleet's features is on.</summary>
    internal bool Enabled => StatusTopic is not null || ControlTopic is not null;
}

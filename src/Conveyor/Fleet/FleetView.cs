namespace Conveyor.Fleet;

/// <summary>
/// The fleet as its status records tell it: the latest record of each group's instance. An
/// instance whose last record is older than the gone timeout, or says it stopped, is gone; the
/// owner of a partition is the live instance that reports it. Thread-safe.
/// </summary>
internal sealed class FleetView(TimeSpan goneAfter)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, InstanceStatus> _latest = [];

    /// <summary>How long an instance may go without a record before it is shown as gone.</summary>
    public TimeSpan GoneAfter => goneAfter;

    /// <summary>Takes a record; an older record of the same instance than the one held is ignored.</summary>
    public void Add(InstanceStatus status)
    {
        lock (_lock)
        {
            if (!_latest.TryGetValue(status.Key, out var held) || held.At <= status.At)
            {
                _latest[status.Key] = status;
            }
        }
    }

    /// <summary>Every instance heard of, by group then instance, each with whether it is live at <paramref name="now"/>.</summary>
    public IReadOnlyList<FleetInstance> Instances(DateTimeOffset now)
    {
        lock (_lock)
        {
            return [.. _latest.Values
                .OrderBy(s => s.Group, StringComparer.Ordinal).ThenBy(s => s.Instance, StringComparer.Ordinal)
                .Select(s => new FleetInstance(s, IsLive(s, now)))];
        }
    }

    /// <summary>The live instances of <paramref name="group"/>.</summary>
    public IReadOnlyList<InstanceStatus> Live(string group, DateTimeOffset now) =>
        [.. Instances(now).Where(i => i.Live && i.Status.Group == group).Select(i => i.Status)];

    /// <summary>The groups heard of.</summary>
    public IReadOnlyList<string> Groups(DateTimeOffset now) => [.. Instances(now).Select(i => i.Status.Group).Distinct()];

    private bool IsLive(InstanceStatus status, DateTimeOffset now) =>
        status.State is not ("Stopped" or "Failed") && now - status.At <= goneAfter;
}

/// <summary>An instance's latest record and whether it is live.</summary>
internal sealed record FleetInstance(InstanceStatus Status, bool Live);

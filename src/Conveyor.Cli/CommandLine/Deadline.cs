namespace Conveyor.Cli.CommandLine;

/// <summary>
/// A moment some time from now, on the monotonic clock: a step of the wall clock (NTP setting it,
/// a virtual machine resumed) neither ends a wait early nor makes it last an hour longer. Wall time
/// stays where a time is printed or compared with one another process wrote.
/// </summary>
internal readonly struct Deadline
{
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly TimeSpan _after;

    private Deadline(TimeProvider time, TimeSpan after)
    {
        _time = time;
        _start = time.GetTimestamp();
        _after = after;
    }

    /// <summary>The moment <paramref name="after"/> from now, on <paramref name="time"/>'s monotonic clock (the system's by default).</summary>
    public static Deadline In(TimeSpan after, TimeProvider? time = null) => new(time ?? TimeProvider.System, after);

    /// <summary>Whether the moment has come.</summary>
    public bool Passed => _time.GetElapsedTime(_start) >= _after;
}

namespace Conveyor.Processing.Engine;

/// <summary>
/// The engine's time: the wall time it was made at plus the monotonic time since, so a step of the
/// wall clock (NTP setting it, a resumed virtual machine) moves none of the engine's timers (the
/// commit interval, back-pressure, the rebalance hold, the stall watchdog) and fires none early.
/// One per poll loop (<see cref="PollLoop"/> makes it; its parts reach it through the
/// <see cref="StallWatchdog"/>). Thread-safe: it holds no state that changes.
/// </summary>
internal sealed class EngineClock
{
    private readonly TimeProvider _time;
    private readonly DateTime _startedAt;
    private readonly long _started;

    /// <param name="time">The engine's <see cref="TimeProvider"/> (the system's, or a simulator's, which steps the wall clock alone).</param>
    public EngineClock(TimeProvider time)
    {
        _time = time;
        _startedAt = time.GetUtcNow().UtcDateTime;
        _started = time.GetTimestamp();
    }

    /// <summary>The engine's time now: what every timer of the engine is set and checked on.</summary>
    public DateTime Now => _startedAt + _time.GetElapsedTime(_started);

    /// <summary>The wall clock, for times another process wrote (a retry record's due time): those are compared as written.</summary>
    public DateTime WallNow => _time.GetUtcNow().UtcDateTime;
}

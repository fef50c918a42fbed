namespace Conveyor.Tests;

/// <summary>
/// A clock that moves only when the test moves it; safe to read from another thread (a poll loop's).
/// <see cref="Advance"/> moves time (the wall clock and the monotonic timestamps alike);
/// <see cref="Step"/> moves the wall clock alone, as NTP setting it does.
/// </summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;
    private long _step;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks) + Interlocked.Read(ref _step), TimeSpan.Zero);

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

    public void Step(TimeSpan by) => Interlocked.Add(ref _step, by.Ticks);
}

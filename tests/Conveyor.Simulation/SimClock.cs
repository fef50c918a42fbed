namespace Conveyor.Simulation;

/// <summary>
/// The engine's <see cref="TimeProvider"/> in a simulation: wall time is the scheduler's time plus
/// any clock jumps; timestamps and timers follow the scheduler only (monotonic, as
/// <see cref="System.Diagnostics.Stopwatch"/> is). Timers are events of the incarnation that made them.
/// </summary>
internal sealed class SimClock(SimScheduler scheduler, int owner, Func<TimeSpan> wallOffset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => SimScheduler.Epoch + TimeSpan.FromTicks(scheduler.Now) + wallOffset();

    public override long GetTimestamp() => scheduler.Now;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new SimTimer(scheduler, owner, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private sealed class SimTimer(SimScheduler scheduler, int owner, TimerCallback callback, object? state) : ITimer
    {
        private int _generation;
        private TimeSpan _period = Timeout.InfiniteTimeSpan;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var generation = ++_generation;
            _period = period;
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                Arm(dueTime, generation);
            }

            return true;
        }

        public void Dispose() => _generation++;

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private void Arm(TimeSpan due, int generation) => scheduler.After(due, () => Fire(generation), owner);

        private void Fire(int generation)
        {
            if (generation != _generation)
            {
                return;
            }

            callback(state);
            if (generation == _generation && _period != Timeout.InfiniteTimeSpan && _period > TimeSpan.Zero)
            {
                Arm(_period, generation);
            }
        }
    }
}

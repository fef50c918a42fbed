namespace Conveyor.Simulation;

/// <summary>
/// The one thread's event loop: simulated time and the events due at each moment, run in the
/// order they were scheduled (time, then sequence), so a seed always gives the same run. Events
/// belong to an owner: 0 is the simulated world, otherwise the engine incarnation that made them
/// (<see cref="SimMember.OwnerTag"/>); a killed incarnation's events never run.
/// </summary>
internal sealed class SimScheduler
{
    /// <summary>The simulated epoch every run starts at.</summary>
    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly PriorityQueue<Entry, (long Time, long Sequence)> _timed = new();
    private readonly Queue<Entry> _now = new();
    private long _sequence;

    /// <summary>Ticks since <see cref="Epoch"/>.</summary>
    public long Now { get; private set; }

    private readonly HashSet<int> _dead = [];

    /// <summary>How many events ran: a bound against a run that never ends.</summary>
    public long Ran { get; private set; }

    public TimeSpan Elapsed => TimeSpan.FromTicks(Now);

    /// <summary>A killed incarnation: its events never run again.</summary>
    public void Kill(int owner) => _dead.Add(owner);

    public bool IsAlive(int owner) => owner == 0 || !_dead.Contains(owner);

    /// <summary>Runs <paramref name="action"/> at the current time, after what is queued already.</summary>
    public void Post(Action action, int owner) => _now.Enqueue(new Entry(action, owner));

    /// <summary>Runs <paramref name="action"/> <paramref name="after"/> from now.</summary>
    public void After(TimeSpan after, Action action, int owner) => At(Now + Math.Max(0, after.Ticks), action, owner);

    public void At(long time, Action action, int owner) => _timed.Enqueue(new Entry(action, owner), (time, _sequence++));

    /// <summary>When the next timed event is due; <see cref="long.MaxValue"/> when none is.</summary>
    public long NextTime => _now.Count > 0 ? Now : _timed.TryPeek(out _, out var key) ? key.Time : long.MaxValue;

    /// <summary>Moves time on without running anything (a poll loop turn's own cost); the events passed run at the next <see cref="RunDue"/>.</summary>
    public void Spend(TimeSpan cost) => Now += cost.Ticks;

    /// <summary>Runs everything due now, including what those events schedule for now.</summary>
    public void RunDue()
    {
        while (true)
        {
            Entry entry;
            if (_now.Count > 0)
            {
                entry = _now.Dequeue();
            }
            else if (_timed.TryPeek(out _, out var key) && key.Time <= Now)
            {
                entry = _timed.Dequeue();
            }
            else
            {
                return;
            }

            if (entry.Owner == 0 || !_dead.Contains(entry.Owner))
            {
                Ran++;
                entry.Action();
            }
        }
    }

    /// <summary>Runs every event up to <paramref name="time"/>, each at its own time, and ends there.</summary>
    public void AdvanceTo(long time)
    {
        RunDue();
        while (NextTime <= time)
        {
            Now = Math.Max(Now, NextTime);
            RunDue();
        }

        Now = Math.Max(Now, time);
        RunDue();
    }

    /// <summary>
    /// The engine's blocking wait, simulated: runs events (the workers meanwhile) until
    /// <paramref name="done"/> holds or <paramref name="timeout"/> passed; false at the timeout, or
    /// at once when <paramref name="gaveUp"/> says the waiter is gone (a killed process).
    /// </summary>
    public bool Pump(Func<bool> done, TimeSpan timeout, Func<bool> gaveUp)
    {
        var deadline = timeout < TimeSpan.Zero || timeout.Ticks > long.MaxValue / 4 ? long.MaxValue : Now + timeout.Ticks;
        while (true)
        {
            RunDue();
            if (done())
            {
                return true;
            }

            if (gaveUp())
            {
                return false;
            }

            var next = NextTime;
            if (next > deadline)
            {
                if (deadline == long.MaxValue)
                {
                    throw new SimulationStuckException("The engine waits without a timeout for something no event will ever bring.");
                }

                Now = Math.Max(Now, deadline);
                RunDue();
                return done();
            }

            Now = Math.Max(Now, next);
        }
    }

    private readonly record struct Entry(Action Action, int Owner);
}

/// <summary>The engine waits for something that can never happen in this run.</summary>
internal sealed class SimulationStuckException(string message) : Exception(message);

/// <summary>Thrown into the poll loop when the simulated process is killed: nothing after it may reach the cluster.</summary>
internal sealed class SimulatedCrash() : Exception("The process was killed.");

/// <summary>A handler failure the schedule asked for.</summary>
internal sealed class SimulatedFailure(string message) : Exception(message);

namespace Conveyor.Simulation;

/// <summary>
/// Runs several blocking poll loops (one per engine member, each on a thread of its own) and the
/// world as if on one thread: exactly one of them runs at any moment. A participant that must
/// wait (a <c>Consume</c> with nothing to return, a drain) drives the simulation itself: it runs
/// the scheduler's events and, after each simulated instant, looks at the waiting participants in
/// a fixed order; the first whose condition holds (or whose deadline passed) runs next. Handing
/// over is a semaphore each side, so which thread runs when follows from the simulation alone, and
/// a run with one member hands over only at its starts and ends.
/// </summary>
internal sealed class SimBaton(SimScheduler scheduler)
{
    private readonly List<Waiter> _waiters = [];
    private bool _over;

    /// <summary>What runs after each simulated instant whoever drives (the consumers' background fetches, as librdkafka's own threads).</summary>
    public List<Action> Background { get; } = [];

    /// <summary>How many times one thread handed the run to another (each costs two context switches).</summary>
    public long Handovers { get; private set; }

    /// <summary>Called when nobody can ever be woken: no events, no deadlines.</summary>
    public Action<string>? Stuck { get; set; }

    /// <summary>A participant: the world, or one incarnation of a member's poll loop.</summary>
    public sealed class Waiter(int order, string name)
    {
        public int Order { get; } = order;

        public string Name { get; } = name;

        internal SemaphoreSlim Go { get; } = new(0);

        internal bool Waiting { get; set; }

        internal Func<bool> Ready { get; set; } = () => false;

        internal long Deadline { get; set; } = long.MaxValue;

        /// <summary>The participant's thread (none for the world, which runs on the caller's).</summary>
        public Thread? Thread { get; set; }
    }

    /// <summary>
    /// Adds a participant: with <paramref name="ready"/>, one to run as soon as the one running now
    /// waits (a started thread's first turn); without, one running now on the caller's thread.
    /// </summary>
    public Waiter Join(int order, string name, bool ready)
    {
        var waiter = new Waiter(order, name) { Waiting = ready, Ready = static () => true };
        var at = _waiters.FindIndex(w => w.Order > order);
        _waiters.Insert(at < 0 ? _waiters.Count : at, waiter);
        return waiter;
    }

    /// <summary>A joined participant's thread, before it does anything: waits for its first turn.</summary>
    public void First(Waiter self)
    {
        self.Go.Wait();
        ThrowIfOver();
    }

    /// <summary>Waits, driving the simulation, until <paramref name="ready"/> holds or the time reaches <paramref name="deadline"/>.</summary>
    public void Wait(Waiter self, Func<bool> ready, long deadline)
    {
        ThrowIfOver();
        self.Ready = ready;
        self.Deadline = deadline;
        self.Waiting = true;
        Drive(self);
    }

    /// <summary>The participant's thread ends: the simulation goes on with the others (unless its thread goes on, <paramref name="handOver"/> false).</summary>
    public void Leave(Waiter self, bool handOver = true)
    {
        _waiters.Remove(self);
        if (!_over && handOver)
        {
            Drive(null);
        }
    }

    /// <summary>
    /// The run is over (settled or failed): every participant still waiting is let go one after the
    /// other, and its wait throws <see cref="SimulationOverException"/> so its thread unwinds and ends.
    /// </summary>
    public void End(Waiter self)
    {
        _over = true;
        foreach (var waiter in _waiters.ToList())
        {
            if (waiter != self && waiter.Thread is { } thread)
            {
                waiter.Go.Release();
                thread.Join(); // one at a time: an unwinding engine still touches the shared world
            }
        }
    }

    private void Drive(Waiter? self)
    {
        while (true)
        {
            scheduler.RunDue();
            foreach (var background in Background)
            {
                background();
            }

            var next = FirstReady();
            if (next is not null)
            {
                next.Waiting = false;
                if (next == self)
                {
                    return;
                }

                Handovers++;
                next.Go.Release();
                if (self is null)
                {
                    return;
                }

                self.Go.Wait();
                ThrowIfOver();
                return; // the one that woke this found it ready
            }

            var deadline = long.MaxValue;
            foreach (var waiter in _waiters)
            {
                if (waiter.Waiting)
                {
                    deadline = Math.Min(deadline, waiter.Deadline);
                }
            }

            var time = Math.Min(deadline, scheduler.NextTime);
            if (time == long.MaxValue)
            {
                Stuck?.Invoke("every participant waits for something no event will ever bring");
                continue; // Stuck ends the run: the world is ready now
            }

            scheduler.AdvanceTo(Math.Max(scheduler.Now, time));
        }
    }

    private Waiter? FirstReady()
    {
        foreach (var waiter in _waiters)
        {
            if (waiter.Waiting && (scheduler.Now >= waiter.Deadline || waiter.Ready()))
            {
                return waiter;
            }
        }

        return null;
    }

    private void ThrowIfOver()
    {
        if (_over)
        {
            throw new SimulationOverException();
        }
    }
}

/// <summary>Thrown into a member's thread still waiting when the run is over, so it unwinds and ends.</summary>
internal sealed class SimulationOverException() : Exception("The simulated run is over.");

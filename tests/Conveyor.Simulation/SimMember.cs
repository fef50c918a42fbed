using Conveyor.Processing.Engine;

namespace Conveyor.Simulation;

/// <summary>
/// One member of the simulated group: a real engine whose poll loop runs on a thread of its own
/// (taking turns through <see cref="SimBaton"/>), its pending rebalance callbacks, and its
/// incarnations: a kill ends one (its uncommitted state is lost, its events never run again), a
/// restart makes the next.
/// </summary>
internal sealed class SimMember(SimWorld world, int id)
{
    public int Id { get; } = id;

    public int Incarnation { get; private set; }

    /// <summary>The scheduler's owner of this incarnation's events.</summary>
    public int OwnerTag => (Id * 1000) + Incarnation;

    /// <summary>
    /// The group's generation of this member: a session that ends moves it on, and the member's
    /// consumer catches up only when it rejoins after its lost callback (<see cref="SimConsumer"/>).
    /// </summary>
    public int Generation { get; set; }

    /// <summary>The rebalance callbacks its consumer runs inside its next <c>Consume</c>.</summary>
    public Queue<GroupAction> Pending { get; } = new();

    /// <summary>Killed and not restarted yet.</summary>
    public bool Killed { get; private set; }

    /// <summary>Its poll loop's thread has not ended.</summary>
    public bool Running { get; private set; }

    /// <summary>Started, not killed and not stopped: the group may give it partitions.</summary>
    public bool Up => Running && !Killed;

    public SimEngine? Engine { get; private set; }

    public SimBaton.Waiter? Waiter { get; private set; }

    /// <summary>Starts the next incarnation on a thread of its own; it runs once the one running now waits.</summary>
    public void Start(ReintroducedBugs bugs)
    {
        var (engine, waiter) = Next(bugs, inline: false);
        var thread = new Thread(() => Body(engine, waiter, inline: false), maxStackSize: 16 << 20) { IsBackground = true, Name = $"sim member {Id}.{Incarnation}" };
        waiter.Thread = thread;
        thread.Start();
    }

    /// <summary>
    /// Runs the next incarnation on the calling thread until it ends (the only member: no thread to
    /// hand over to, so a run costs no more than one thread's work).
    /// </summary>
    public void RunInline(ReintroducedBugs bugs)
    {
        var (engine, waiter) = Next(bugs, inline: true);
        waiter.Thread = Thread.CurrentThread;
        Body(engine, waiter, inline: true);
    }

    private (SimEngine, SimBaton.Waiter) Next(ReintroducedBugs bugs, bool inline)
    {
        Incarnation++;
        Killed = false;
        Running = true;
        var waiter = Waiter = world.Baton.Join(Id, $"member {Id}", ready: !inline);
        var engine = Engine = new SimEngine(world, this, bugs);
        world.Trace.Add(world.Members.Length > 1 ? $"member {Id} process {Incarnation} starts" : $"process {Incarnation} starts");
        return (engine, waiter);
    }

    /// <summary>The process dies: nothing of this incarnation reaches the cluster again.</summary>
    public void Kill()
    {
        Killed = true;
        Pending.Clear();
        world.Scheduler.Kill(OwnerTag);
    }

    private void Body(SimEngine engine, SimBaton.Waiter waiter, bool inline)
    {
        try
        {
            if (!inline)
            {
                world.Baton.First(waiter);
            }

            engine.Run();
        }
        catch (SimulationOverException)
        {
        }
        catch (SimulationStuckException e)
        {
            world.Checker.Fail("stuck", e.Message);
        }
        catch (Exception e)
        {
            world.Checker.Fail("engine-threw", $"member {Id}'s engine threw {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            if (Engine == engine)
            {
                Running = false;
            }

            world.Baton.Leave(waiter, handOver: !inline);
        }
    }
}

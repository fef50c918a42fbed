using Conveyor.Processing.Engine;
using Conveyor.Simulation.Pipelines;

namespace Conveyor.Simulation;

/// <summary>
/// One simulated run of a schedule: the cluster, the scheduler, the checker and the engine's
/// incarnations (a kill ends one, a restart makes the next). Everything runs on the calling
/// thread; the same schedule gives the same run.
/// </summary>
internal sealed class SimWorld
{
    /// <summary>A run that has not settled this long after its faults ended is a violation (a livelock, or a stall the progress check missed).</summary>
    private static readonly TimeSpan SettleLimit = TimeSpan.FromMinutes(5);

    private readonly ReintroducedBugs _bugs;
    private SimEngine? _engine;
    private bool _done;

    private SimWorld(Schedule schedule, ReintroducedBugs bugs, bool trace)
    {
        _bugs = bugs;
        Scheduler = new SimScheduler();
        Trace = new SimTrace(Scheduler, trace);
        Cluster = new SimCluster(schedule);
        Checker = new InvariantChecker(Cluster, Scheduler, Trace);
        Random = new Random(schedule.Seed);
        Pipelines = new PipelineChecks(this);
    }

    public SimScheduler Scheduler { get; }

    public SimCluster Cluster { get; }

    public InvariantChecker Checker { get; }

    public SimTrace Trace { get; }

    /// <summary>The pipeline's own invariants and state across incarnations (forwarding's outputs, at-most-once).</summary>
    public PipelineChecks Pipelines { get; }

    /// <summary>The run's random stream (fetch sizes and delays, retry jitter, the other member's pace).</summary>
    public Random Random { get; }

    /// <summary>Runs a schedule to its end or its first violation.</summary>
    public static SimulationResult Run(Schedule schedule, ReintroducedBugs bugs = ReintroducedBugs.None, bool trace = false)
    {
        var context = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null); // continuations run inline on this thread, never posted elsewhere
        try
        {
            var world = new SimWorld(schedule, bugs, trace);
            world.RunAll();
            return new SimulationResult(schedule, world.Checker.Violation, world.Checker.Kind, world.Trace.ToString(), world.Scheduler.Elapsed, world.Scheduler.Ran);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }
    }

    private void RunAll()
    {
        var schedule = Cluster.Schedule;
        Trace.Add(schedule.ToString());
        foreach (var fault in schedule.Faults)
        {
            Scheduler.At(TimeSpan.FromMilliseconds(fault.AtMs).Ticks, () => Apply(fault), owner: 0);
        }

        Scheduler.After(TimeSpan.FromMilliseconds(Schedule.FaultPhaseMs), EndFaults, owner: 0);
        Scheduler.After(TimeSpan.FromSeconds(1), OthersWork, owner: 0);
        Cluster.Pending.Enqueue(new GroupAction(GroupActionKind.Assign, schedule.FirstAssignment));
        var incarnation = 1;
        while (!_done && !Checker.Failed)
        {
            Scheduler.Alive = incarnation;
            Cluster.Killed = false;
            _engine = new SimEngine(this, incarnation, _bugs);
            Trace.Add($"process {incarnation} starts");
            bool stopped;
            try
            {
                stopped = _engine.Run();
            }
            catch (SimulationStuckException e)
            {
                Checker.Fail("stuck", e.Message);
                return;
            }
            catch (Exception e)
            {
                Checker.Fail("engine-threw", $"the engine threw {e.GetType().Name}: {e.Message}");
                return;
            }

            if (stopped || Checker.Failed)
            {
                break;
            }

            // Killed: nothing of this incarnation runs again; the world goes on until the restart.
            Scheduler.Alive = -incarnation;
            Scheduler.AdvanceTo(Cluster.RestartAt);
            incarnation++;
            Cluster.Pending.Clear();
            var unowned = 0;
            for (var p = 0; p < Cluster.Partitions.Length; p++)
            {
                unowned |= Cluster.Owners[p] == Owner.None ? 1 << p : 0;
            }

            Cluster.Pending.Enqueue(new GroupAction(GroupActionKind.Assign, unowned));
        }

        if (!Checker.Failed)
        {
            FinalCheck();
        }
    }

    private void Apply(Fault fault)
    {
        Trace.Add("fault: " + fault);
        var all = (1 << Cluster.Partitions.Length) - 1;
        switch (fault.Kind)
        {
            case FaultKind.Append:
                foreach (var p in Masks.Of(fault.Mask & all, Cluster.Partitions.Length))
                {
                    Cluster.Append(p, fault.Value);
                }

                break;
            case FaultKind.Rebalance when !Cluster.Killed:
                Rebalance(fault.Mask & all, fault.Value & all, fault.Delay, fault.Flag);
                break;
            case FaultKind.Lose when !Cluster.Killed:
                // The session ended: another member owns them before this one hears of it.
                var lost = fault.Mask & Cluster.MemberMask();
                foreach (var p in Masks.Of(lost, Cluster.Partitions.Length))
                {
                    Cluster.Owners[p] = Owner.Other;
                }

                Cluster.Pending.Enqueue(new GroupAction(GroupActionKind.Lose, lost));
                break;
            case FaultKind.FailCommits:
                Cluster.FailingCommits += fault.Value;
                break;
            case FaultKind.Kill when !Cluster.Killed:
                Cluster.Killed = true;
                Cluster.Rebalancing = false; // the group rebalances without the dead member; it joins again at the restart
                Cluster.RestartAt = Scheduler.Now + TimeSpan.FromMilliseconds(fault.Delay).Ticks;
                Cluster.Pending.Clear();
                for (var p = 0; p < Cluster.Partitions.Length; p++)
                {
                    if (Cluster.Owners[p] == Owner.Member)
                    {
                        Cluster.Owners[p] = Owner.None;
                    }
                }

                break;
            case FaultKind.ClockJump:
                Cluster.WallOffset += TimeSpan.FromMilliseconds(fault.Value);
                break;
        }
    }

    private void Rebalance(int revoke, int assign, int delayMs, bool refuse)
    {
        var delay = TimeSpan.FromMilliseconds(delayMs);
        if (Cluster.Schedule.Protocol == GroupProtocol.Eager)
        {
            Cluster.Rebalancing = true;
            Cluster.RefuseWhileRebalancing = refuse;
            Cluster.Pending.Enqueue(new GroupAction(GroupActionKind.RevokeAll, 0, () =>
                Scheduler.After(delay, () =>
                {
                    Cluster.Rebalancing = false;
                    if (!Cluster.Killed)
                    {
                        Cluster.Pending.Enqueue(new GroupAction(GroupActionKind.Assign, assign));
                    }
                }, owner: 0)));
            return;
        }

        Cluster.Pending.Enqueue(new GroupAction(GroupActionKind.Revoke, revoke, () =>
            Scheduler.After(delay, () =>
            {
                if (!Cluster.Killed)
                {
                    Cluster.Pending.Enqueue(new GroupAction(GroupActionKind.Assign, assign & ~Cluster.MemberMask()));
                }
            }, owner: 0)));
    }

    /// <summary>The other member handles and commits up to three messages a second in each partition it owns.</summary>
    private void OthersWork()
    {
        for (var p = 0; p < Cluster.Partitions.Length; p++)
        {
            if (Cluster.Owners[p] == Owner.Other)
            {
                var from = Cluster.Committed[p];
                var to = Math.Min(Cluster.End(p), from + Random.Next(0, 4));
                if (to > from)
                {
                    Checker.FinishedElsewhere(p, from, to);
                    Checker.Committing(p, to, string.Empty, byMember: false);
                    Cluster.Committed[p] = to;
                    Cluster.Metadata[p] = string.Empty;
                }
            }
        }

        if (!_done)
        {
            Scheduler.After(TimeSpan.FromSeconds(1), OthersWork, owner: 0);
        }
    }

    /// <summary>The faults are over: every partition goes to the member, and the run ends once all is committed.</summary>
    private void EndFaults()
    {
        Trace.Add("faults over: everything to the member");
        Cluster.FailingCommits = 0;
        Cluster.WallOffset = TimeSpan.Zero;
        var all = (1 << Cluster.Partitions.Length) - 1;
        if (!Cluster.Killed)
        {
            if (Cluster.Schedule.Protocol == GroupProtocol.Eager)
            {
                Rebalance(all, all, 100, refuse: false);
            }
            else
            {
                Cluster.Pending.Enqueue(new GroupAction(GroupActionKind.Assign, all));
            }
        }

        Scheduler.After(TimeSpan.FromSeconds(1), Settle, owner: 0);
    }

    private void Settle()
    {
        var settled = true;
        for (var p = 0; p < Cluster.Partitions.Length; p++)
        {
            settled &= Cluster.Committed[p] >= Cluster.End(p) || Checker.IsStopped(p);
        }

        Checker.CheckProgress();
        if (settled)
        {
            Trace.Add("settled: stopping");
            _done = true;
            _engine?.Stopping.Cancel();
            return;
        }

        if (Scheduler.Elapsed > TimeSpan.FromMilliseconds(Schedule.FaultPhaseMs) + SettleLimit)
        {
            Checker.Fail("never-settled", "the run did not commit everything within 5 minutes of the last fault: "
                + string.Join(", ", Enumerable.Range(0, Cluster.Partitions.Length).Select(p => $"p{p} {Cluster.Committed[p]}/{Cluster.End(p)} ({Cluster.Owners[p]})")));
            return;
        }

        Scheduler.After(TimeSpan.FromSeconds(1), Settle, owner: 0);
    }

    private void FinalCheck()
    {
        for (var p = 0; p < Cluster.Partitions.Length; p++)
        {
            if (Cluster.Committed[p] < Cluster.End(p) && !Checker.IsStopped(p))
            {
                Checker.Fail("final", $"after the stop p{p} is committed at {Cluster.Committed[p]} of {Cluster.End(p)}");
            }
        }
    }
}

/// <summary>How a run ended: its violation (null when none), the trace when kept, and its size.</summary>
internal sealed record SimulationResult(Schedule Schedule, string? Violation, string? Kind, string Trace, TimeSpan Simulated, long Events)
{
    public bool Failed => Violation is not null;
}

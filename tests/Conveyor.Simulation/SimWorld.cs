using Conveyor.Processing;
using Conveyor.Processing.Engine;
using Conveyor.Simulation.Pipelines;

namespace Conveyor.Simulation;

/// <summary>
/// One simulated run of a schedule: the cluster, the scheduler, the checker and the group's
/// members, each a real engine whose incarnations a kill ends and a restart renews. The members'
/// poll loops take turns through <see cref="SimBaton"/>, so the run is as if on one thread, and
/// the same schedule gives the same run. With one member, the rest of the group is a model
/// (<see cref="Owner.Other"/>); with several, partitions move between the real engines.
/// </summary>
internal sealed partial class SimWorld
{
    /// <summary>
    /// A run that has not settled this long after its faults ended must still be committing: from
    /// then on every partition left to commit must move within <see cref="InvariantChecker.ProgressBound"/>,
    /// or the run is a violation (a livelock, or a stall the progress check missed: a partition
    /// nobody owns). A fixed limit failed runs that were only slow: a large forwarding schedule
    /// pushes ~1,500 outputs through a window of one or two, at 6 % of them 1-5 s late (seeds 29
    /// and 31 need 326 and 338 s for that alone), and exactly-once commits wait for running handlers.
    /// </summary>
    private static readonly TimeSpan SettleLimit = TimeSpan.FromMinutes(5);

    /// <summary>However steadily it commits, a run not settled this long after its faults ended is a violation.</summary>
    private static readonly TimeSpan SettleCap = TimeSpan.FromMinutes(30);

    private readonly ReintroducedBugs _bugs;
    private bool _done;
    private bool _restartDue;
    private long[]? _lateCommitted;
    private long _lateSince;

    private SimWorld(Schedule schedule, ReintroducedBugs bugs, bool trace, bool oneStream)
    {
        _bugs = bugs;
        Scheduler = new SimScheduler();
        Trace = new SimTrace(Scheduler, trace);
        Cluster = new SimCluster(schedule);
        Checker = new InvariantChecker(Cluster, Scheduler, Trace);
        Streams = new SimRandom(schedule.Seed, oneStream);
        Random = Streams.For(RandomPurpose.General);
        Baton = new SimBaton(Scheduler) { Stuck = reason => Checker.Fail("stuck", reason) };
        Pipelines = new PipelineChecks(this);
        Settings = Pipelines.Adjust(SimEngine.Settings(schedule));
        Members = [.. Enumerable.Range(1, Math.Max(1, schedule.Members)).Select(id => new SimMember(this, id))];
    }

    public SimScheduler Scheduler { get; }

    public SimCluster Cluster { get; }

    public InvariantChecker Checker { get; }

    public SimTrace Trace { get; }

    /// <summary>The pipeline's own invariants and state across incarnations and members (forwarding's outputs, at-most-once).</summary>
    public PipelineChecks Pipelines { get; }

    /// <summary>The run's random streams, one per purpose, member and partition (<see cref="SimRandom"/>).</summary>
    public SimRandom Streams { get; }

    /// <summary>The run's general stream, for what has no stream of its own.</summary>
    public Random Random { get; }

    public SimBaton Baton { get; }

    /// <summary>The engine's settings in this run (every member's).</summary>
    public ProcessorOptions Settings { get; }

    public SimMember[] Members { get; }

    /// <summary>Runs a schedule to its end or its first violation.</summary>
    /// <param name="schedule">The schedule to run.</param>
    /// <param name="bugs">Known bugs to put back.</param>
    /// <param name="trace">Keep the trace (slower).</param>
    /// <param name="rescueAllowed">A stall the watchdog finds and resumes is not a violation (<see cref="InvariantChecker.RescueAllowed"/>).</param>
    /// <param name="oneStream">One random stream for everything, as before per-purpose streams (to compare shrinking).</param>
    public static SimulationResult Run(Schedule schedule, ReintroducedBugs bugs = ReintroducedBugs.None, bool trace = false, bool rescueAllowed = false, bool oneStream = false)
    {
        var context = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null); // continuations run inline on the thread running, never posted elsewhere
        try
        {
            var world = new SimWorld(schedule, bugs, trace, oneStream);
            world.Checker.RescueAllowed = rescueAllowed;
            world.RunAll();
            return new SimulationResult(schedule, world.Checker.Violation, world.Checker.Kind, world.Trace.ToString(), world.Scheduler.Elapsed, world.Scheduler.Ran, world.Baton.Handovers, world.Checker.Fairness?.LongestWait ?? TimeSpan.Zero, world.Pipelines.Transactions.Committed, world.Checker.LongestWithoutProgress);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }
    }

    private int All => (1 << Cluster.Partitions.Length) - 1;

    private void RunAll()
    {
        var schedule = Cluster.Schedule;
        Trace.Add(schedule.ToString());
        foreach (var fault in schedule.Faults)
        {
            Scheduler.At(TimeSpan.FromMilliseconds(fault.AtMs).Ticks, () => Apply(fault), owner: 0);
        }

        Scheduler.After(TimeSpan.FromMilliseconds(schedule.FaultPhase), EndFaults, owner: 0);
        Scheduler.After(TimeSpan.FromSeconds(1), OthersWork, owner: 0);
        if (schedule.Churn)
        {
            ChurnWindows();
        }

        var world = Baton.Join(0, "world", ready: false);
        try
        {
            if (Members.Length == 1)
            {
                RunOne(world);
            }
            else
            {
                foreach (var member in Members)
                {
                    member.Start(_bugs);
                }

                // The first assignment is the first member's; the others share the rest.
                for (var p = 0; p < Cluster.Partitions.Length; p++)
                {
                    var id = (schedule.FirstAssignment & (1 << p)) != 0 ? 1 : 2 + (p % (Members.Length - 1));
                    GiveTo(Members[id - 1], 1 << p);
                }

                Baton.Wait(world, () => Checker.Failed || (_done && Members.All(m => !m.Running)), long.MaxValue);
            }
        }
        finally
        {
            Baton.End(world);
        }

        if (!Checker.Failed)
        {
            FinalCheck();
        }
    }

    /// <summary>The only member runs on this thread, incarnation after incarnation; between a kill and its restart the world runs alone.</summary>
    private void RunOne(SimBaton.Waiter world)
    {
        var member = Members[0];
        member.Pending.Enqueue(new GroupAction(GroupActionKind.Assign, Cluster.Schedule.FirstAssignment));
        while (true)
        {
            member.RunInline(_bugs);
            if (Checker.Failed || _done)
            {
                return;
            }

            Baton.Wait(world, () => Checker.Failed || _done || _restartDue, long.MaxValue);
            if (Checker.Failed || _done)
            {
                return;
            }

            _restartDue = false;
            member.Pending.Enqueue(new GroupAction(GroupActionKind.Assign, Unowned()));
        }
    }

    private void Apply(Fault fault)
    {
        Trace.Add("fault: " + fault);
        switch (fault.Kind)
        {
            case FaultKind.Append:
                foreach (var p in Masks.Of(fault.Mask & Cluster.MainMask, Cluster.Partitions.Length))
                {
                    Cluster.Append(p, fault.Value);
                }

                break;
            case FaultKind.FailCommits:
                Cluster.FailingCommits += fault.Value;
                break;
            case FaultKind.ClockJump:
                Cluster.WallOffset += TimeSpan.FromMilliseconds(fault.Value);
                break;
            case FaultKind.Kill:
                Kill(MemberFor(fault), fault.Delay);
                break;
            case FaultKind.Rebalance when Members.Length == 1:
                if (!Members[0].Killed)
                {
                    Rebalance(fault.Mask & All, fault.Value & All, fault.Delay, fault.Flag);
                }

                break;
            case FaultKind.Rebalance:
                Move(fault.Mask & All, MemberFor(fault), fault.Delay, fault.Flag);
                break;
            case FaultKind.Lose:
                Lose(MemberFor(fault), fault.Mask & All);
                break;
        }
    }

    private SimMember MemberFor(Fault fault) => Members[(Math.Max(1, fault.Member) - 1) % Members.Length];

    /// <summary>The process dies: its partitions go back to the group at once (to the others, or until it is back), and it restarts after <paramref name="delayMs"/>.</summary>
    private void Kill(SimMember member, int delayMs)
    {
        if (member.Killed || !member.Running)
        {
            return;
        }

        member.Kill();
        Checker.Killed(member.Id);
        foreach (var handover in Handovers.ToList())
        {
            handover.Gone(member);
        }
        if (Members.Length == 1)
        {
            Cluster.Rebalancing = false; // the group rebalances without the dead member; it joins again at the restart
        }

        for (var p = 0; p < Cluster.Partitions.Length; p++)
        {
            if (Cluster.Owners[p] == member.Id)
            {
                Cluster.Owners[p] = Owner.None;
            }
        }

        if (Members.Length > 1 && Handovers.Count == 0)
        {
            Spread(Unowned(), preferred: null);
        }

        Scheduler.After(TimeSpan.FromMilliseconds(delayMs), () => Restart(member), owner: 0);
    }

    /// <summary>The killed member is back: a new incarnation, which joins the group and gets what nobody owns.</summary>
    private void Restart(SimMember member)
    {
        if (_done || Checker.Failed)
        {
            return;
        }

        if (Members.Length == 1)
        {
            _restartDue = true; // the world's thread runs it (RunOne)
            return;
        }

        member.Start(_bugs);
        if (Handovers.Count == 0)
        {
            GiveTo(member, Unowned());
        }
    }

    /// <summary>A churn schedule's progress floor, window after window while its faults last.</summary>
    private void ChurnWindows()
    {
        Checker.CheckChurnWindow();
        if (Scheduler.Now + InvariantChecker.ChurnWindow.Ticks <= TimeSpan.FromMilliseconds(Cluster.Schedule.FaultPhase).Ticks)
        {
            Scheduler.After(InvariantChecker.ChurnWindow, ChurnWindows, owner: 0);
        }
    }

    private int Unowned() => Cluster.MaskOf(Owner.None);

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
            foreach (var member in Members)
            {
                member.Engine?.Stopping.Cancel();
            }

            return;
        }

        var late = Scheduler.Elapsed - TimeSpan.FromMilliseconds(Cluster.Schedule.FaultPhase);
        if (late > SettleLimit && StoppedCommitting(late) is { } why)
        {
            Checker.Fail("never-settled", $"the run did not commit everything within 5 minutes of the last fault, {why}: "
                + string.Join(", ", Enumerable.Range(0, Cluster.Partitions.Length).Select(p => $"p{p} {Cluster.Committed[p]}/{Cluster.End(p)} ({Owner.Describe(Cluster.Owners[p])})")));
            return;
        }

        Scheduler.After(TimeSpan.FromSeconds(1), Settle, owner: 0);
    }

    /// <summary>Past the settle limit: why the run is not committing its way to the end (null while it is).</summary>
    private string? StoppedCommitting(TimeSpan late)
    {
        if (late > SettleCap)
        {
            return $"nor within {SettleCap.TotalMinutes:F0}";
        }

        var now = Scheduler.Now;
        if (_lateCommitted is { } before)
        {
            if (now - _lateSince < InvariantChecker.ProgressBound.Ticks)
            {
                return null;
            }

            for (var p = 0; p < Cluster.Partitions.Length; p++)
            {
                if (Cluster.Committed[p] < Cluster.End(p) && !Checker.IsStopped(p) && Cluster.Committed[p] <= before[p])
                {
                    return $"and p{p} committed nothing in the last {InvariantChecker.ProgressBound.TotalSeconds:F0} s";
                }
            }
        }

        _lateCommitted = (long[])Cluster.Committed.Clone();
        _lateSince = now;
        return null;
    }

    private void FinalCheck()
    {
        if (Pipelines.Kind == Pipeline.RetryTopics)
        {
            Pipelines.Retries.FinalCheck();
        }

        for (var p = 0; p < Cluster.Partitions.Length; p++)
        {
            if (Cluster.Committed[p] < Cluster.End(p) && !Checker.IsStopped(p))
            {
                Checker.Fail("final", $"after the stop p{p} is committed at {Cluster.Committed[p]} of {Cluster.End(p)}");
            }
        }
    }
}

/// <summary>How a run ended: its violation (null when none), the trace when kept, its size, its committed transactions (exactly-once) and the longest a partition went without progress.</summary>
internal sealed record SimulationResult(Schedule Schedule, string? Violation, string? Kind, string Trace, TimeSpan Simulated, long Events, long Handovers = 0, TimeSpan LongestWait = default, int Transactions = 0, TimeSpan LongestWithoutProgress = default)
{
    public bool Failed => Violation is not null;
}

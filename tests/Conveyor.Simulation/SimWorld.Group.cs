namespace Conveyor.Simulation;

/// <summary>The group's decisions: who owns what after a rebalance, a loss or a kill, and at the end of the faults.</summary>
internal sealed partial class SimWorld
{
    /// <summary>Rebalances of several members waiting for their revokes.</summary>
    private List<Handover> Handovers { get; } = [];

    /// <summary>One member, the rest a model: revoke the mask (eager: all), assign <paramref name="assign"/> after the delay.</summary>
    private void Rebalance(int revoke, int assign, int delayMs, bool refuse)
    {
        var member = Members[0];
        var delay = TimeSpan.FromMilliseconds(delayMs);
        if (Cluster.Schedule.Protocol == GroupProtocol.Eager)
        {
            Cluster.Rebalancing = true;
            Cluster.RefuseWhileRebalancing = refuse;
            member.Pending.Enqueue(new GroupAction(GroupActionKind.RevokeAll, 0, () =>
                Scheduler.After(delay, () =>
                {
                    Cluster.Rebalancing = false;
                    if (!member.Killed)
                    {
                        member.Pending.Enqueue(new GroupAction(GroupActionKind.Assign, assign));
                    }
                }, owner: 0)));
            return;
        }

        member.Pending.Enqueue(new GroupAction(GroupActionKind.Revoke, revoke, () =>
            Scheduler.After(delay, () =>
            {
                if (!member.Killed)
                {
                    member.Pending.Enqueue(new GroupAction(GroupActionKind.Assign, assign & ~Cluster.MaskOf(member.Id)));
                }
            }, owner: 0)));
    }

    /// <summary>
    /// Several members: the mask's partitions move to <paramref name="target"/>. Eager: every member
    /// revokes everything (commits refused meanwhile when <paramref name="refuse"/>), then what
    /// nobody owns is shared out, the mask to the target. Cooperative and KIP-848: their owners
    /// revoke just those, then the target gets them. Either way, a partition changes hands only
    /// after its owner's revoke returned: the handover is clean unless the revoke timed out.
    /// </summary>
    private void Move(int mask, SimMember target, int delayMs, bool refuse)
    {
        var delay = TimeSpan.FromMilliseconds(delayMs);
        var eager = Cluster.Schedule.Protocol == GroupProtocol.Eager;
        var moving = eager ? All : mask & ~Cluster.MaskOf(target.Id);
        var revoking = Members.Where(m => m.Up && (eager || (moving & Cluster.MaskOf(m.Id)) != 0)).ToList();
        if (eager)
        {
            Cluster.Rebalancing = true;
            Cluster.RefuseWhileRebalancing = refuse;
        }

        Handover? handover = null;
        handover = new Handover([.. revoking.Select(m => m.Id)], () =>
        {
            Handovers.Remove(handover!);
            Scheduler.After(delay, () =>
            {
                if (eager && Handovers.Count == 0)
                {
                    Cluster.Rebalancing = false;
                }

                Spread(Unowned() & mask, target);
                Spread(Unowned(), preferred: null);
            }, owner: 0);
        });
        Handovers.Add(handover);
        foreach (var member in revoking)
        {
            var kind = eager ? GroupActionKind.RevokeAll : GroupActionKind.Revoke;
            member.Pending.Enqueue(new GroupAction(kind, moving & Cluster.MaskOf(member.Id), () => handover.Gone(member)));
        }

        handover.CheckDone();
    }

    /// <summary>The member's session ended: its partitions of the mask have a new owner before it hears (the old one is stale until its lost callback).</summary>
    private void Lose(SimMember member, int mask)
    {
        if (member.Killed || !member.Running)
        {
            return;
        }

        var lost = mask & Cluster.MaskOf(member.Id);
        if (Members.Length == 1)
        {
            foreach (var p in Masks.Of(lost, Cluster.Partitions.Length))
            {
                Cluster.Owners[p] = Owner.Other;
            }

            member.Generation++; // out of the group: its generation is stale until it rejoins after its lost callback
            member.Pending.Enqueue(new GroupAction(GroupActionKind.Lose, lost));
            return;
        }

        if (lost == 0)
        {
            return;
        }

        member.Generation++;

        var next = Members.Skip(member.Id).Concat(Members.Take(member.Id)).FirstOrDefault(m => m != member && m.Up);
        foreach (var p in Masks.Of(lost, Cluster.Partitions.Length))
        {
            Cluster.Owners[p] = Owner.None;
        }

        if (next is not null)
        {
            GiveTo(next, lost);
            member.Pending.Enqueue(new GroupAction(GroupActionKind.Lose, lost));
        }
        else
        {
            // Nobody else is up: it joins again and gets them back.
            member.Pending.Enqueue(new GroupAction(GroupActionKind.Lose, lost, () => GiveTo(member, lost & Unowned())));
        }
    }

    /// <summary>Assigns the partitions to the member (the group decides now; the member hears in its next <c>Consume</c>).</summary>
    private void GiveTo(SimMember member, int mask)
    {
        if (mask == 0 || !member.Up)
        {
            return;
        }

        foreach (var p in Masks.Of(mask, Cluster.Partitions.Length))
        {
            Cluster.Owners[p] = member.Id;
        }

        member.Pending.Enqueue(new GroupAction(GroupActionKind.Assign, mask));
    }

    /// <summary>Shares the partitions out among the members that are up, all to <paramref name="preferred"/> when it is.</summary>
    private void Spread(int mask, SimMember? preferred)
    {
        var up = Members.Where(m => m.Up).ToList();
        if (mask == 0 || up.Count == 0)
        {
            return;
        }

        var shares = new int[Members.Length];
        foreach (var p in Masks.Of(mask, Cluster.Partitions.Length))
        {
            var to = preferred is { Up: true } ? preferred : up[p % up.Count];
            shares[to.Id - 1] |= 1 << p;
        }

        for (var i = 0; i < Members.Length; i++)
        {
            GiveTo(Members[i], shares[i]);
        }
    }

    /// <summary>With one member, the modelled other member handles and commits up to three messages a second in each partition it owns.</summary>
    private void OthersWork()
    {
        for (var p = 0; p < Cluster.Partitions.Length; p++)
        {
            if (Cluster.Owners[p] == Owner.Other)
            {
                var from = Cluster.Committed[p];
                var to = Math.Min(Cluster.End(p), from + Streams.For(RandomPurpose.Others, 0, p).Next(0, 4));
                if (to > from)
                {
                    Checker.FinishedElsewhere(p, from, to);
                    Pipelines.Retries.HandledElsewhere(p, from, to);
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

    /// <summary>The faults are over: every partition goes to a member (the only one, or shared out), and the run ends once all is committed.</summary>
    private void EndFaults()
    {
        Trace.Add("faults over: everything to the members");
        Cluster.FailingCommits = 0;
        if (Cluster.WallOffset != TimeSpan.Zero)
        {
            // The wall clock steps back to true time: a jump as large as the faults' jumps added
            // up (10-11 s on large seeds), traced since it is one (large exactly-once seeds 4686 and 5793).
            Trace.Add($"wall clock back to true time: jumps {-Cluster.WallOffset.TotalMilliseconds:+#;-#;0}ms");
            Cluster.WallOffset = TimeSpan.Zero;
        }
        var member = Members[0];
        if (Members.Length > 1)
        {
            if (Handovers.Count == 0)
            {
                Spread(Unowned(), preferred: null);
            }
        }
        else if (!member.Killed)
        {
            if (Cluster.Schedule.Protocol == GroupProtocol.Eager)
            {
                Rebalance(All, All, 100, refuse: false);
            }
            else
            {
                member.Pending.Enqueue(new GroupAction(GroupActionKind.Assign, All));
            }
        }

        Scheduler.After(TimeSpan.FromSeconds(1), Settle, owner: 0);
    }

    /// <summary>A rebalance of several members: done once each member it asked has revoked (or died).</summary>
    private sealed class Handover(HashSet<int> waiting, Action done)
    {
        private bool _fired;

        public void Gone(SimMember member)
        {
            waiting.Remove(member.Id);
            CheckDone();
        }

        public void CheckDone()
        {
            if (waiting.Count == 0 && !_fired)
            {
                _fired = true;
                done();
            }
        }
    }
}

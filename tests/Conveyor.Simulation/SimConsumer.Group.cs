using Confluent.Kafka;

namespace Conveyor.Simulation;

/// <summary>The consumer's rebalances and fetches.</summary>
internal sealed partial class SimConsumer
{
    public override string Name => $"sim-{_member.Id}-{_member.Incarnation}";

    /// <summary>None while the member's session has ended and its lost callback is pending: librdkafka resets the member id then, and joins again only after the callback.</summary>
    public override string MemberId => _member.Pending.Any(a => a.Kind == GroupActionKind.Lose) ? string.Empty : Name;

    public override List<TopicPartition> Assignment => [.. _assigned.Keys.Order().Select(p => Cluster.Partitions[p])];

    public override IConsumerGroupMetadata ConsumerGroupMetadata => Pipelines.SimGroupMetadata.Instance;

    /// <summary>Runs a rebalance callback as librdkafka does, inside <c>Consume</c>; ownership moves as the real group moves it.</summary>
    private void Run(GroupAction action)
    {
        var mask = action.Kind == GroupActionKind.RevokeAll ? AssignedMask() : action.Mask;
        switch (action.Kind)
        {
            case GroupActionKind.Assign:
                mask &= ~AssignedMask();
                if (mask != 0)
                {
                    Assign(mask);
                }

                break;
            case GroupActionKind.Revoke or GroupActionKind.RevokeAll:
                mask &= AssignedMask();
                _world.Trace.Add($"{Who}revoke {Masks.Describe(mask)}");
                var started = Scheduler.Now;
                var epochs = Masks.Of(mask, Cluster.Partitions.Length).Select(p => _assigned[p].Epoch).ToArray();
                _callbacks.Revoked(this, [.. Masks.Of(mask, Cluster.Partitions.Length).Select(p => new TopicPartitionOffset(Cluster.Partitions[p], Offset.Unset))]);
                if (!Gone)
                {
                    // Within the revoke timeout the engine drained the partitions: the handover is clean.
                    var clean = Scheduler.Now - started < _world.Settings.RevokeTimeout.Ticks;
                    var i = 0;
                    foreach (var p in Masks.Of(mask, Cluster.Partitions.Length))
                    {
                        _world.Checker.Revoked(_member.Id, p, epochs[i++], clean);
                    }
                }

                Unassign(mask, _world.Members.Length > 1 ? Owner.None : Owner.Other);
                break;
            case GroupActionKind.Lose:
                mask &= AssignedMask();
                if (mask != 0)
                {
                    _world.Trace.Add($"{Who}lost {Masks.Describe(mask)}");
                    foreach (var p in Masks.Of(mask, Cluster.Partitions.Length))
                    {
                        _world.Checker.Revoked(_member.Id, p, 0, clean: false);
                    }

                    _inLost = true;
                    try
                    {
                        _callbacks.Lost(this, [.. Masks.Of(mask, Cluster.Partitions.Length).Select(p => new TopicPartitionOffset(Cluster.Partitions[p], Offset.Unset))]);
                    }
                    finally
                    {
                        _inLost = false;
                    }

                    Unassign(mask, Owner.Other);
                }

                _generation = _member.Generation; // librdkafka joins the group again once the lost callback returned
                break;
        }

        action.After?.Invoke();
    }

    private string Who => _world.Members.Length > 1 ? $"member {_member.Id} " : string.Empty;

    private void Assign(int mask)
    {
        foreach (var p in Masks.Of(mask, Cluster.Partitions.Length))
        {
            if (Cluster.Owners[p] > 0 && Cluster.Owners[p] != _member.Id)
            {
                mask &= ~(1 << p); // the group gave it to another member since
            }
        }

        if (mask == 0)
        {
            return;
        }

        foreach (var p in Masks.Of(mask, Cluster.Partitions.Length))
        {
            Cluster.Owners[p] = _member.Id;
            Cluster.AssignEpochs[p]++;
            _world.Checker.Assigned(_member.Id, p);
        }

        _world.Trace.Add($"{Who}assign {Masks.Describe(mask)}");
        _callbacks.Assigned(this, [.. Masks.Of(mask, Cluster.Partitions.Length).Select(p => Cluster.Partitions[p])]);
        foreach (var p in Masks.Of(mask, Cluster.Partitions.Length))
        {
            // librdkafka fetches the committed offset after the callback returns.
            _assigned[p] = new Fetching { Next = Cluster.Committed[p], Consumed = Cluster.Committed[p], Epoch = Cluster.AssignEpochs[p] };
        }
    }

    private void Unassign(int mask, int next)
    {
        foreach (var p in Masks.Of(mask, Cluster.Partitions.Length))
        {
            Purge(p);
            _assigned.Remove(p);
            if (Cluster.Owners[p] == _member.Id)
            {
                Cluster.Owners[p] = next;
            }
        }
    }

    private int AssignedMask()
    {
        var mask = 0;
        foreach (var p in _assigned.Keys)
        {
            mask |= 1 << p;
        }

        return mask;
    }

    /// <summary>Starts a fetch for each assigned, unpaused partition with nothing queued and messages to read: a batch of 1-10 (up to 500 on fairness schedules) arrives 1-30 ms later.</summary>
    private void StartFetches()
    {
        if (Gone)
        {
            return;
        }

        foreach (var (p, fetching) in _assigned)
        {
            if (!Fetchable(p, fetching))
            {
                continue;
            }

            fetching.InFlight = true;
            var version = fetching.Version;
            var random = _world.Streams.For(RandomPurpose.Fetch, _member.Id, p);
            var count = random.Next(1, Cluster.Schedule.LargeFetches ? 501 : 11);
            Scheduler.After(TimeSpan.FromMilliseconds(random.Next(1, 31)), () => Fetched(p, fetching, version, count), _incarnation);
        }
    }

    private bool Fetchable(int p, Fetching fetching) =>
        !fetching.InFlight && fetching.Queued == 0 && !_paused.Contains(p) && fetching.Next < Cluster.End(p);

    private void Fetched(int p, Fetching fetching, int version, int count)
    {
        if (fetching.Version != version || !_assigned.TryGetValue(p, out var now) || now != fetching)
        {
            return;
        }

        fetching.InFlight = false;
        if (_paused.Contains(p))
        {
            return;
        }

        var end = Math.Min(Cluster.End(p), fetching.Next + count);
        for (var o = fetching.Next; o < end; o++)
        {
            _queue.Add((p, o));
            fetching.Queued++;
        }

        fetching.Next = end;
    }

    private ConsumeResult<byte[]?, byte[]?> Deliver()
    {
        var (p, offset) = _queue[_queueHead++];
        if (_queueHead == _queue.Count)
        {
            _queue.Clear();
            _queueHead = 0;
        }

        var fetching = _assigned[p];
        fetching.Queued--;
        fetching.Consumed = offset + 1;
        _world.Checker.Delivered(_member.Id, p, offset, fetching.Epoch);
        return new ConsumeResult<byte[]?, byte[]?>
        {
            TopicPartitionOffset = new TopicPartitionOffset(Cluster.Partitions[p], offset),
            Message = Cluster.Logs[p][(int)offset],
        };
    }

    /// <summary>Drops what is queued of the partition (a pause, seek or unassign), so it is fetched again from the first dropped.</summary>
    private void Purge(int p)
    {
        if (!_assigned.TryGetValue(p, out var fetching))
        {
            return;
        }

        long? first = null;
        for (var i = _queue.Count - 1; i >= _queueHead; i--)
        {
            if (_queue[i].Partition == p)
            {
                first = _queue[i].Offset;
                _queue.RemoveAt(i);
            }
        }

        if (first is { } from)
        {
            fetching.Next = from;
        }

        fetching.Queued = 0;
        fetching.InFlight = false;
        fetching.Version++;
    }

    /// <summary>One assigned partition's fetch state.</summary>
    private sealed class Fetching
    {
        public long Next { get; set; }

        public long Consumed { get; set; }

        public int Queued { get; set; }

        public bool InFlight { get; set; }

        public int Version { get; set; }

        public int Epoch { get; init; }
    }
}

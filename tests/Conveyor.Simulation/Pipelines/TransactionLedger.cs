namespace Conveyor.Simulation.Pipelines;

/// <summary>
/// Exactly-once's invariants, checked as a simulated transaction commits: every output in it
/// belongs to an input whose offset the same transaction commits past (never an input of a
/// partition whose offset it does not carry, such as a lost one, and never an input committed
/// before: no duplicates); and every input it commits past has all its outputs in it, exactly once,
/// unless it was dead-lettered or has none. Aborted transactions' outputs are never visible (the
/// simulated broker drops them), so an input passed only on their strength is caught here.
/// With persisted completions an offset's metadata names inputs finished above it: those count
/// as committed by the transaction too, and the ones the previous commit named as committed before.
/// </summary>
internal sealed class TransactionLedger(SimWorld world)
{
    public int Committed { get; private set; }

    public int Aborted { get; set; }

    public void Committing(IReadOnlyList<(int HandOff, int Index)> outputs, IReadOnlyDictionary<int, (long Offset, string Metadata)> offsets)
    {
        Committed++;
        var ledger = world.Pipelines.Outputs;
        var complete = new Dictionary<(int Partition, long Offset), int>();
        foreach (var group in outputs.GroupBy(o => o.HandOff))
        {
            var (partition, offset, count) = ledger.Input(group.Key);
            if (!offsets.TryGetValue(partition, out var to))
            {
                world.Checker.Fail("outputs-without-offset", $"a transaction committed outputs of p{partition}@{offset} without p{partition}'s offset");
                return;
            }

            var from = world.Cluster.Committed[partition];
            if (!Covers(partition, to, offset))
            {
                world.Checker.Fail("duplicate-outputs", $"a transaction committing p{partition} from {from} to {to.Offset} holds outputs of p{partition}@{offset}, outside what it commits");
                return;
            }

            if (group.Select(o => o.Index).Distinct().Count() == count)
            {
                complete[(partition, offset)] = complete.GetValueOrDefault((partition, offset)) + 1;
            }
        }

        foreach (var (partition, to) in offsets)
        {
            foreach (var o in Passed(partition, to))
            {
                var handOffs = complete.GetValueOrDefault((partition, o));
                if (handOffs > 1)
                {
                    world.Checker.Fail("duplicate-outputs", $"a transaction holds the outputs of p{partition}@{o} {handOffs} times");
                    return;
                }

                if (handOffs == 1)
                {
                    world.Checker.Finished(partition, o);
                }
                else if (MessagePlan.Outputs(world.Cluster.Schedule.Seed, partition, o) > 0 && !world.Checker.IsFinished(partition, o))
                {
                    world.Checker.Fail("offset-without-outputs", $"a transaction committed p{partition} at {to.Offset}, past p{partition}@{o}, without all of its outputs");
                    return;
                }
            }
        }
    }

    /// <summary>Whether the transaction commits <paramref name="input"/> now (and not before): between the committed offset and the new one, or named finished by the new metadata, and not named by the old.</summary>
    private bool Covers(int partition, (long Offset, string Metadata) to, long input) =>
        ((input >= world.Cluster.Committed[partition] && input < to.Offset) || Finished(to.Offset, to.Metadata).Contains(input))
            && !Finished(world.Cluster.Committed[partition], world.Cluster.Metadata[partition]).Contains(input);

    /// <summary>The inputs this commit passes that no commit passed before.</summary>
    private IEnumerable<long> Passed(int partition, (long Offset, string Metadata) to)
    {
        var from = world.Cluster.Committed[partition];
        var before = Finished(from, world.Cluster.Metadata[partition]);
        var range = Enumerable.Range(0, (int)Math.Max(0, to.Offset - from)).Select(i => from + i);
        return range.Concat(Finished(to.Offset, to.Metadata)).Where(o => !before.Contains(o)).Distinct().ToList();
    }

    /// <summary>The finished offsets above <paramref name="committed"/> a commit's metadata names (none when it has none or cannot be read; the checker reports the latter).</summary>
    private static HashSet<long> Finished(long committed, string metadata)
    {
        var finished = new List<long>();
        if (metadata.Length > 0 && Processing.Completions.CompletionEncoding.Decode(metadata, committed, out _) is { } map)
        {
            map.AddAbove(committed, finished);
        }

        return [.. finished];
    }
}

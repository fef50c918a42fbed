namespace Conveyor.Simulation.Pipelines;

/// <summary>
/// Exactly-once's invariants, checked as a simulated transaction commits: every output in it
/// belongs to an input whose offset the same transaction commits past (never an input of a
/// partition whose offset it does not carry, such as a lost one, and never an input committed
/// before: no duplicates); and every input it commits past has all its outputs in it, exactly once,
/// unless it was dead-lettered or has none. Aborted transactions' outputs are never visible (the
/// simulated broker drops them), so an input passed only on their strength is caught here.
/// </summary>
internal sealed class TransactionLedger(SimWorld world)
{
    /// <summary>Transactions committed and aborted, for the trace and the tests.</summary>
    public int Committed { get; private set; }

    public int Aborted { get; set; }

    /// <summary>
    /// A transaction commits <paramref name="outputs"/> (hand-off and index of each) with
    /// <paramref name="offsets"/> (partition to offset): checks it, then marks its inputs finished.
    /// </summary>
    public void Committing(IReadOnlyList<(int HandOff, int Index)> outputs, IReadOnlyDictionary<int, long> offsets)
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
            if (offset < from || offset >= to)
            {
                world.Checker.Fail("duplicate-outputs", $"a transaction committing p{partition} from {from} to {to} holds outputs of p{partition}@{offset}, outside what it commits");
                return;
            }

            if (group.Select(o => o.Index).Distinct().Count() == count)
            {
                complete[(partition, offset)] = complete.GetValueOrDefault((partition, offset)) + 1;
            }
        }

        foreach (var (partition, to) in offsets)
        {
            for (var o = world.Cluster.Committed[partition]; o < to; o++)
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
                    world.Checker.Fail("offset-without-outputs", $"a transaction committed p{partition} at {to}, past p{partition}@{o}, without all of its outputs");
                    return;
                }
            }
        }
    }
}

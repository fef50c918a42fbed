using Conveyor.Processing;
using Conveyor.Simulation.Pipelines;

namespace Conveyor.Simulation;

/// <summary>Makes a schedule from a seed; the default size keeps a run near a millisecond.</summary>
internal static class ScheduleGenerator
{
    /// <param name="seed">The seed: the same one gives the same schedule.</param>
    /// <param name="large">Up to 6 partitions of up to 200 messages and 30 faults, for exploration (the CI seed set uses the default size).</param>
    /// <param name="pipeline">The pipeline to run; null: the seed's (<see cref="PipelinePlan"/>).</param>
    public static Schedule For(int seed, bool large = false, Pipeline? pipeline = null)
    {
        var random = new Random(seed);
        var partitions = random.Next(1, large ? 7 : 4);
        var all = (1 << partitions) - 1;
        var protocol = (GroupProtocol)random.Next(3);
        var ordering = random.Next(10) switch
        {
            < 7 => OrderingMode.Key,
            < 9 => OrderingMode.Partition,
            _ => OrderingMode.Unordered,
        };
        var persist = random.Next(10) < 7;
        var asyncCommits = random.Next(10) < 3;
        var kind = pipeline ?? PipelinePlan.For(seed);
        asyncCommits &= kind != Pipeline.AtMostOnce && !kind.IsExactlyOnce(); // at-most-once must know a batch is committed before it runs; transactions commit on the poll thread
        persist = kind == Pipeline.ExactlyOnceAnyOrdering || (persist && kind != Pipeline.ExactlyOnce); // any ordering: the transaction's offsets carry the finished ones above them
        if (kind == Pipeline.ExactlyOnce)
        {
            ordering = OrderingMode.Partition; // see Pipeline.ExactlyOnceAnyOrdering
        }

        var initial = Enumerable.Range(0, partitions).Select(_ => random.Next(5, large ? 201 : 31)).ToArray();
        var first = random.Next(1, all + 1);
        var faults = new List<Fault>();
        var count = random.Next(3, large ? 31 : 13);
        for (var i = 0; i < count; i++)
        {
            var at = random.NextInt64(0, Schedule.FaultPhaseMs);
            var mask = random.Next(1, all + 1);
            faults.Add(random.Next(100) switch
            {
                < 25 => new Fault(at, FaultKind.Append, mask, random.Next(1, 11), 0, false),
                < 55 => new Fault(at, FaultKind.Rebalance, mask, random.Next(1, all + 1), protocol == GroupProtocol.Kip848 ? random.Next(0, 200) : random.Next(0, 3_000), random.Next(2) == 0),
                < 68 => new Fault(at, FaultKind.Lose, mask, 0, 0, false),
                < 80 => new Fault(at, FaultKind.FailCommits, 0, random.Next(1, 4), 0, false),
                < 92 => new Fault(at, FaultKind.Kill, 0, 0, random.Next(500, 5_000), false),
                _ => new Fault(at, FaultKind.ClockJump, 0, random.Next(-5_000, 5_001), 0, false),
            });
        }

        faults.Sort((a, b) => a.AtMs.CompareTo(b.AtMs));
        return new Schedule(seed, protocol, ordering, persist, asyncCommits, partitions, initial, first, faults) { Pipeline = kind };
    }
}

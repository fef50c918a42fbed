using Conveyor.Processing;
using Conveyor.Simulation.Pipelines;

namespace Conveyor.Simulation;

/// <summary>Makes a schedule from a seed; the default size keeps a run near a millisecond.</summary>
internal static class ScheduleGenerator
{
    /// <param name="seed">The seed: the same one gives the same schedule.</param>
    /// <param name="large">Up to 6 partitions of up to 200 messages and 30 faults, for exploration (the CI seed set uses the default size).</param>
    /// <param name="pipeline">The pipeline to run; null: the seed's (<see cref="PipelinePlan"/>).</param>
    /// <param name="members">How many real engine members share the group; null: from the seed (mostly one).</param>
    public static Schedule For(int seed, bool large = false, Pipeline? pipeline = null, int? members = null)
    {
        var random = new Random(seed);
        var main = random.Next(1, large ? 7 : 4);
        var partitions = main + (pipeline == Pipeline.RetryTopics ? RetryLedger.Topics : 0); // retry topics' partitions come last, empty
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

        // The group's size and each fault's member come from a stream of their own, so the rest of
        // a seed's schedule is what it was before schedules had several members.
        var group = new Random(seed ^ 0x6A09E667);
        var size = group.Next(100) switch
        {
            < 95 => 1, // two and three members cost thread hand-overs: their own tests run more of them (GroupTests, --members)
            < 97 => 2,
            _ => 3,
        };
        members ??= size;
        var kind = pipeline ?? PipelinePlan.For(seed);
        asyncCommits &= kind != Pipeline.AtMostOnce && !kind.IsExactlyOnce(); // at-most-once must know a batch is committed before it runs; transactions commit on the poll thread
        persist = kind == Pipeline.ExactlyOnceAnyOrdering || (persist && kind != Pipeline.ExactlyOnce); // any ordering: the transaction's offsets carry the finished ones above them
        if (kind == Pipeline.ExactlyOnce)
        {
            ordering = OrderingMode.Partition; // see Pipeline.ExactlyOnceAnyOrdering
        }

        var initial = Enumerable.Range(0, partitions).Select(p => p < main ? random.Next(5, large ? 201 : 31) : 0).ToArray();
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

        if (members > 1)
        {
            faults = [.. faults.Select(f => f with { Member = group.Next(1, members.Value + 1) })];
        }

        return new Schedule(seed, protocol, ordering, persist, asyncCommits, partitions, initial, first, faults, members.Value) { Pipeline = kind, Large = large };
    }

    /// <summary>
    /// A churn schedule: a minute of faults on one or two partitions of 60-120 messages, the
    /// process killed every 1-3 s and back 0.1-0.3 s later, more often than the commit interval
    /// (<see cref="SimEngine.ChurnCommitInterval"/>), plus a few appends. Progress must come from
    /// commits made between kills (the livelock under churn that watermark commits had before
    /// <c>RunAheadBound</c>). Kills come less often than a poison message's three attempts take,
    /// or it could never be dead-lettered: its attempt count lives in the process.
    /// </summary>
    /// <param name="seed">The seed.</param>
    /// <param name="fastKills">Kills every 0.4-0.8 s instead: faster than a poison message's attempts (the limit in docs/failures.md).</param>
    /// <param name="retryTopics">Fail to retry topics (<see cref="Pipeline.RetryTopics"/>, one attempt each), whose partitions follow the main topic's.</param>
    public static Schedule Churn(int seed, bool fastKills = false, bool retryTopics = false)
    {
        var random = new Random(seed ^ 0x3C6EF372);
        var main = random.Next(1, 3);
        var mainMask = (1 << main) - 1;
        var partitions = main + (retryTopics ? RetryLedger.Topics : 0);
        var all = (1 << partitions) - 1;
        var protocol = (GroupProtocol)random.Next(3);
        var persist = random.Next(2) == 0;
        var initial = Enumerable.Range(0, partitions).Select(p => p < main ? random.Next(60, 121) : 0).ToArray();
        var faults = new List<Fault>();
        int Gap() => fastKills ? random.Next(400, 800) : random.Next(1_000, 3_000);
        for (var at = (long)Gap(); at < Schedule.ChurnPhaseMs; at += Gap())
        {
            faults.Add(random.Next(10) < 8
                ? new Fault(at, FaultKind.Kill, 0, 0, random.Next(100, 300), false)
                : new Fault(at, FaultKind.Append, random.Next(1, mainMask + 1), random.Next(1, 11), 0, false));
        }

        return new Schedule(seed, protocol, OrderingMode.Key, persist, AsyncCommits: false, partitions, initial, all, faults, Members: 1, Churn: true)
        {
            Pipeline = retryTopics ? Pipeline.RetryTopics : Pipeline.Plain,
        };
    }

    /// <summary>
    /// A fairness schedule: three or four partitions of 150-300 messages fetched in runs of up to
    /// 500 of one partition, one member, no faults: a ready partition must not wait long while the
    /// others are served (<see cref="FairnessWatch"/>).
    /// </summary>
    public static Schedule Fairness(int seed)
    {
        var random = new Random(seed ^ 0x510E527F);
        var partitions = random.Next(3, 5);
        var all = (1 << partitions) - 1;
        var initial = Enumerable.Range(0, partitions).Select(_ => random.Next(150, 301)).ToArray();
        var ordering = random.Next(2) == 0 ? OrderingMode.Key : OrderingMode.Unordered;
        return new Schedule(seed, (GroupProtocol)random.Next(3), ordering, random.Next(2) == 0, AsyncCommits: false, partitions, initial, all, [], Members: 1, LargeFetches: true);
    }
}

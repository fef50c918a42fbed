using Conveyor.Configuration;

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// The sizes of one engine benchmark run. Partition counts keep every partition far below the
/// embedded broker's ~5 MiB retention (about 21,000 messages of 100 bytes per partition at most).
/// </summary>
internal sealed record BenchmarkSettings
{
    /// <summary>Value size of every produced message.</summary>
    public int MessageBytes { get; init; } = 100;

    /// <summary>Distinct keys of every backlog: key k lives in partition k mod partitions.</summary>
    public int DistinctKeys { get; init; } = 1_000;

    /// <summary>No-op scenario: the backlog consumed by the raw loop and by the engine.</summary>
    public int NoopMessages { get; init; } = 500_000;

    public int NoopPartitions { get; init; } = 24;

    /// <summary>Raw and engine runs alternate this many times; the median of the rounds' ratios counts.</summary>
    public int NoopRounds { get; init; } = 5;

    /// <summary>
    /// Forwarding scenario: a forwarder writing each input to two output topics (same partition
    /// count as the no-op backlog), over the first messages of the no-op backlog. Every round, and
    /// the warm-up, writes to topics of its own, so each output partition gets at most
    /// ForwardMessages ÷ NoopPartitions messages. Each round is followed by a round of the producer
    /// alone over as many pairs; rounds of 40,000 took 0.1-0.3 s, too short for steady figures.
    /// </summary>
    public int ForwardMessages { get; init; } = 200_000;

    public int ForwardWarmupMessages { get; init; } = 20_000;

    /// <summary>
    /// Pairs of records the producer alone writes in each of its rounds (24 partitions: about 1 MiB
    /// each, within retention). At load 38-43, rounds of 80,000 pairs (0.2 s idle) differed in CPU
    /// per pair by a coefficient of variation of 0.28 and 0.33, rounds of 240,000 by 0.12 and 0.18:
    /// a longer round averages more of the machine's swings.
    /// </summary>
    public int ProducerOnlyPairs { get; init; } = 240_000;

    /// <summary>Forwarding rounds after the warm-up; the median counts.</summary>
    public int ForwardRounds { get; init; } = 5;

    /// <summary>Inputs the one-at-a-time forwarding loop (the seed's way) forwards: the first ones of the same backlog.</summary>
    public int ForwardSequentialMessages { get; init; } = 1_000;

    /// <summary>I/O scenario: handler <c>await Task.Delay(5)</c>, 12 partitions.</summary>
    public int IoPartitions { get; init; } = 12;

    public int IoConcurrency { get; init; } = 64;

    public int IoDelayMilliseconds { get; init; } = 5;

    /// <summary>Messages the Key-ordered engine handles (the whole I/O backlog).</summary>
    public int IoKeyMessages { get; init; } = 80_000;

    /// <summary>Messages the Partition-ordered engine handles (the first ones of the same backlog).</summary>
    public int IoPartitionMessages { get; init; } = 12_000;

    /// <summary>Messages the one-at-a-time loop handles (the first ones of the same backlog).</summary>
    public int IoSequentialMessages { get; init; } = 600;

    /// <summary>Peak RSS: a large and a small backlog, same partition count, each consumed by its own process.</summary>
    public int RssLargeMessages { get; init; } = 1_000_000;

    public int RssSmallMessages { get; init; } = 10_000;

    public int RssPartitions { get; init; } = 48;

    /// <summary>
    /// The layout users have: a few deep partitions on several brokers (6 partitions, 3 brokers),
    /// raw loop and engine alternating, the median of the rounds' ratios counts.
    /// </summary>
    public int DeepMessages { get; init; } = 200_000;

    public int DeepPartitions { get; init; } = 6;

    public int DeepBrokers { get; init; } = 3;

    public int DeepRounds { get; init; } = 3;

    /// <summary>
    /// Fairness layout: a backlog in 6 partitions fetched in real-broker-sized batches (up to 1 MiB,
    /// thousands of one partition per fetch), a handler of about 1 ms (<c>await Task.Delay(1)</c>),
    /// 16 workers (<see cref="FairnessRunner"/>).
    /// </summary>
    public int FairMessages { get; init; } = 72_000;

    public int FairPartitions { get; init; } = 6;

    public int FairDelayMilliseconds { get; init; } = 1;

    /// <summary>
    /// Scale: <see cref="ScaleKeys"/> distinct keys in 1,000 partitions and in 6 (each partition far
    /// below the retention), raw loop and engine alternating on each. A round must be long against
    /// the start of 1,000 partitions (0.1-0.2 s on an idle machine, about 1 s on a loaded one, as
    /// long for the raw loop as for the engine): with 60 messages a partition it was most of the
    /// round, so the rounds measured how fast librdkafka started fetching each partition.
    /// </summary>
    public int ScaleMessages { get; init; } = 500_000;

    public int ScalePartitions { get; init; } = 1_000;

    /// <summary>Scale: the messages of the 6-partition layout (each partition below the ~5 MiB retention).</summary>
    public int ScaleMessagesFew { get; init; } = 100_000;

    public int ScaleKeys { get; init; } = 100_000;

    public int ScaleRounds { get; init; } = 5;

    /// <summary>Latency: seconds of producing at half the raw loop's maximum rate, per round (<see cref="LatencyRunner"/>); longer when needed for <see cref="LatencyMinSamples"/>.</summary>
    public int LatencySeconds { get; init; } = 4;

    /// <summary>Latency: rounds of each consumer, alternating, after a warm-up pair.</summary>
    public int LatencyRounds { get; init; } = 5;

    /// <summary>
    /// Latency: the most messages a second asked for. The producer, the embedded broker and the
    /// consumer share the process and 2 cores: at half the raw loop's best no-op rate (200,000 a
    /// second here) both consumers queued behind the CPU (p50 300-400 ms), which measures the
    /// machine, not the consumer.
    /// </summary>
    public double LatencyMaxRate { get; init; } = 50_000;

    /// <summary>Latency: counted messages per round at least, so a round's p99 rests on 200 or more.</summary>
    public int LatencyMinSamples { get; init; } = 20_000;

    /// <summary>Latency without the no-op scenario: the backlog one raw round consumes to find the raw loop's maximum.</summary>
    public int LatencyCalibrationMessages { get; init; } = 200_000;

    public bool Quick { get; init; }

    public static BenchmarkSettings Full { get; } = new();

    public static BenchmarkSettings QuickRun { get; } = new()
    {
        Quick = true,
        NoopMessages = 300_000,
        NoopRounds = 5,
        ForwardMessages = 80_000,
        ForwardWarmupMessages = 20_000,
        ForwardSequentialMessages = 400,
        IoKeyMessages = 30_000,
        IoPartitionMessages = 4_000,
        IoSequentialMessages = 250,
        FairMessages = 36_000,
        LatencySeconds = 2,
        LatencyRounds = 3,
        ScaleMessages = 300_000,
        LatencyCalibrationMessages = 100_000,
    };

    /// <summary>
    /// The client properties every consumer of the run gets, raw loops and engine alike; both add
    /// the engine's consumer defaults (<see cref="RawLoopRunner.Config"/>).
    /// </summary>
    public static KafkaClientProperties Client(string bootstrapServers) => new(bootstrapServers,
    [
        new KafkaProperty("fetch.wait.max.ms", "50"),
        new KafkaProperty("session.timeout.ms", "6000"),
    ]);
}

using Confluent.Kafka;

namespace Conveyor.Diagnostics;

/// <summary>Where a partition stopped and why.</summary>
/// <param name="Offset">The offset of the message that failed for good.</param>
/// <param name="Reason">The exception's type and message.</param>
internal sealed record StoppedAt(long Offset, string Reason);

/// <summary>What a processor has done, at one moment (part of its <see cref="Processing.ProcessorStatus"/>).</summary>
/// <param name="Handled">Messages handled successfully since the start.</param>
/// <param name="Retries">Failed attempts that were retried.</param>
/// <param name="DeadLettered">Messages sent to a dead-letter topic.</param>
/// <param name="Rates">Messages per second in <see cref="BucketSeconds"/>-second buckets over the last 5 minutes, oldest first.</param>
/// <param name="InFlight">Handler calls running now, per partition.</param>
/// <param name="Paused">Partitions paused by back-pressure.</param>
/// <param name="Stopped">Partitions stopped at a message that failed for good.</param>
internal sealed record ActivitySnapshot(
    long Handled,
    long Retries,
    long DeadLettered,
    IReadOnlyList<double> Rates,
    IReadOnlyDictionary<TopicPartition, int> InFlight,
    IReadOnlyList<TopicPartition> Paused,
    IReadOnlyDictionary<TopicPartition, StoppedAt> Stopped)
{
    /// <summary>The width of one point of the rate chart.</summary>
    public const int BucketSeconds = 10;

    /// <summary>Nothing done yet.</summary>
    public static ActivitySnapshot None { get; } = new(0, 0, 0, [], new Dictionary<TopicPartition, int>(), [], new Dictionary<TopicPartition, StoppedAt>());

    public int TotalInFlight => InFlight.Values.Sum();
}

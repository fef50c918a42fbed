using System.Globalization;
using System.Text;
using Confluent.Kafka;

namespace Conveyor.Processing;

/// <summary>A snapshot of a processor's health, for health checks and dashboards.</summary>
/// <param name="State">Where the processor is in its life.</param>
/// <param name="LastPoll">When the poll loop last went round; null before it started.</param>
/// <param name="StoppedPartitions">Assigned partitions stopped at a message that failed for good (the message's position).</param>
/// <param name="AssignedPartitions">Partitions assigned now.</param>
/// <param name="Failure">Why it failed, when <paramref name="State"/> is <see cref="ProcessorState.Failed"/>.</param>
public sealed record ProcessorStatus(
    ProcessorState State,
    DateTimeOffset? LastPoll,
    IReadOnlyList<TopicPartitionOffset> StoppedPartitions,
    IReadOnlyList<TopicPartition> AssignedPartitions,
    string? Failure)
{
    /// <summary>
    /// Assigned partitions reported stalled: messages to read, none delivered for
    /// <see cref="ProcessorOptions.StallTimeout"/> although the engine does not hold them (the next offset expected).
    /// </summary>
    public IReadOnlyList<TopicPartitionOffset> StalledPartitions { get; init; } = [];

    /// <summary>
    /// Why the processor cannot start (see <see cref="ProcessorOptions.UnavailableTimeout"/>): the
    /// cluster is unreachable or refuses it, or a topic is missing; null once partitions are assigned.
    /// </summary>
    public string? Unavailable { get; init; }

    /// <summary>Fetched messages not yet finished, per assigned partition (waiting, running or awaiting acknowledgements); refreshed about twice a second.</summary>
    public IReadOnlyDictionary<TopicPartition, int> BufferedMessages { get; init; } = new Dictionary<TopicPartition, int>();

    /// <summary>
    /// Per assigned partition, the offset a commit would store now: every message below it is
    /// finished (handled, or dead-lettered and acknowledged), so the end offset minus it is what is
    /// not yet handled, where the committed lag also counts what is finished but not yet committed.
    /// Refreshed about twice a second; a partition is missing until it delivered a message.
    /// </summary>
    public IReadOnlyDictionary<TopicPartition, long> CommittableOffsets { get; init; } = new Dictionary<TopicPartition, long>();

    /// <summary>
    /// How many handlers may run at once now: <see cref="ProcessorOptions.MaxConcurrency"/>, or what
    /// an operator or the adaptive limit (<see cref="Concurrency.ConcurrencyOptions.Adaptive"/>) set; 0 before the first run.
    /// </summary>
    public int ConcurrencyLimit { get; init; }

    /// <summary>Why the concurrency limit is what it is (start, adaptive, or the operator's reason), secrets not involved.</summary>
    internal string? ConcurrencyReason { get; init; }

    /// <summary>Until when the overload back-off holds handlers (<see cref="Concurrency.ConcurrencyOptions.OverloadBackOff"/>); null when it does not.</summary>
    internal DateTimeOffset? OverloadedUntil { get; init; }

    /// <summary>The last failure the processor reported (a client error, a failed commit, a message dead-lettered or stopping its partition), secrets masked.</summary>
    internal Diagnostics.LastError? LastError { get; init; }

    /// <summary>Per assigned partition, the committed lag from librdkafka's statistics (every <c>statistics.interval.ms</c>); missing until known.</summary>
    internal IReadOnlyDictionary<TopicPartition, long> Lag { get; init; } = new Dictionary<TopicPartition, long>();

    /// <summary>Per assigned partition, the end offset (high watermark) of the consumer's last fetch, from librdkafka's statistics; missing until known.</summary>
    internal IReadOnlyDictionary<TopicPartition, long> EndOffsets { get; init; } = new Dictionary<TopicPartition, long>();

    /// <summary>Per assigned partition, the offset this processor last committed; missing until it committed one.</summary>
    internal IReadOnlyDictionary<TopicPartition, long> Committed { get; init; } = new Dictionary<TopicPartition, long>();

    /// <summary>What the processor has done: counts, rate, handler calls in flight, paused partitions, stop reasons.</summary>
    internal Diagnostics.ActivitySnapshot Activity { get; init; } = Diagnostics.ActivitySnapshot.None;

    // The record's own ToString would print the collections' type names; these are what a reader wants.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"State = {State}, LastPoll = {LastPoll?.ToString("O", CultureInfo.InvariantCulture) ?? "null"}");
        builder.Append(CultureInfo.InvariantCulture, $", AssignedPartitions = [{string.Join(", ", AssignedPartitions.Select(Describe))}]");
        builder.Append(CultureInfo.InvariantCulture, $", StoppedPartitions = [{string.Join(", ", StoppedPartitions.Select(Describe))}]");
        builder.Append(CultureInfo.InvariantCulture, $", StalledPartitions = [{string.Join(", ", StalledPartitions.Select(Describe))}]");
        builder.Append(CultureInfo.InvariantCulture, $", BufferedMessages = {{{string.Join(", ", BufferedMessages.Select(b => string.Create(CultureInfo.InvariantCulture, $"{Describe(b.Key)}: {b.Value}")))}}}");
        builder.Append(CultureInfo.InvariantCulture, $", CommittableOffsets = {{{string.Join(", ", CommittableOffsets.Select(c => string.Create(CultureInfo.InvariantCulture, $"{Describe(c.Key)}: {c.Value}")))}}}");
        builder.Append(CultureInfo.InvariantCulture, $", Failure = {Failure ?? "null"}, Unavailable = {Unavailable ?? "null"}");
        return true;
    }

    private static string Describe(TopicPartition partition) => string.Create(CultureInfo.InvariantCulture, $"{partition.Topic}[{partition.Partition.Value}]");

    private static string Describe(TopicPartitionOffset at) => string.Create(CultureInfo.InvariantCulture, $"{at.Topic}[{at.Partition.Value}]@{at.Offset.Value}");
}

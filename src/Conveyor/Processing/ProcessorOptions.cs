using Microsoft.Extensions.Logging;

namespace Conveyor.Processing;

/// <summary>
/// How a <see cref="KafkaProcessor{TKey, TValue}"/> consumes, orders, commits and fails. Immutable;
/// <see cref="Validate"/> reports every problem at once.
/// </summary>
public sealed record ProcessorOptions
{
    /// <summary>The consumer group. Required.</summary>
    public string GroupId { get; init; } = string.Empty;

    /// <summary>The topics to consume. At least one.</summary>
    public IReadOnlyList<string> Topics { get; init; } = [];

    /// <summary>Which messages may run at the same time. Default <see cref="OrderingMode.Key"/>.</summary>
    public OrderingMode Ordering { get; init; } = OrderingMode.Key;

    /// <summary>
    /// Handlers running at most at once, across all partitions: the number of workers, and the
    /// highest the live limit goes (an operator's or the adaptive one, <see cref="Concurrency"/>). Default 64.
    /// </summary>
    [AllowedRange(1, Maximum = 100_000)]
    public int MaxConcurrency { get; init; } = 64;

    /// <summary>How the live limit on running handlers moves within <see cref="MaxConcurrency"/>: fixed (the default) or adaptive.</summary>
    public Concurrency.ConcurrencyOptions Concurrency { get; init; } = new();

    /// <summary>When offsets are committed relative to handling. Default <see cref="DeliveryGuarantee.AtLeastOnce"/>.</summary>
    public DeliveryGuarantee Guarantee { get; init; } = DeliveryGuarantee.AtLeastOnce;

    /// <summary>How often finished offsets are committed (also on revoke and on stop). Default 5 s.</summary>
    [AllowedRange(10)]
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Also commit as soon as this many messages finished since the last commit, without waiting
    /// for <see cref="CommitInterval"/>; null (the default) commits on the interval only. Bounds the
    /// work handled again after a crash to about this many messages per processor (plus running
    /// ones, and finished ones behind an unfinished one: a commit never passes those).
    /// </summary>
    [AllowedRange(1, Note = "or null to commit on the interval only")]
    public int? CommitEveryMessages { get; init; }

    /// <summary>
    /// Also commit, without waiting for <see cref="CommitInterval"/>, once a partition with finished
    /// messages above its last commit delivered nothing new for this long: when the input stops (the
    /// end of a burst, a quiet hour), what was finished is committed within about this time instead
    /// of up to a whole interval later, so a rebalance or a restart does not hand it out again. A
    /// partition under load keeps delivering, so it adds no commits there; commits that do not wait
    /// for the interval are at most one per 100 ms. Default 100 ms; <see cref="Timeout.InfiniteTimeSpan"/>
    /// commits quiet partitions on the interval only.
    /// </summary>
    [AllowedRange(0, ExclusiveMinimum = true, InfiniteAllowed = true, Note = "or Timeout.InfiniteTimeSpan to commit quiet partitions on the interval only")]
    public TimeSpan IdleCommitDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Whether the poll loop waits for each commit. Default <see cref="OffsetCommitMode.Synchronous"/>.</summary>
    public OffsetCommitMode CommitMode { get; init; } = OffsetCommitMode.Synchronous;

    /// <summary>
    /// <see cref="DeliveryGuarantee.AtLeastOnce"/> and <see cref="DeliveryGuarantee.ExactlyOnce"/>:
    /// each commit (or transaction) also records, in the offset's metadata, which messages above
    /// the committed offset are already finished, and a processor
    /// that is assigned the partition (after a rebalance or a restart) skips them instead of
    /// handling them again (<see cref="IProcessorObserver.OnFinishedSkipped"/>). Default true; false
    /// commits the offset alone, and everything from it on is handled again (refused for
    /// exactly-once under key or unordered ordering, where that would commit outputs twice).
    /// </summary>
    public bool PersistCompletions { get; init; } = true;

    /// <summary>
    /// The most commit metadata a commit may carry: the broker's <c>offset.metadata.max.bytes</c>
    /// (4,096 by default in Kafka). A partition whose finished offsets above an unfinished one would
    /// need more takes no new messages until that message finishes
    /// (<see cref="IProcessorObserver.OnCompletionsFull"/>). At 4,096 that is about 24,000 offsets.
    /// Default 4,096; between 512 and 1,048,576.
    /// </summary>
    [AllowedRange(512, Maximum = Completions.CompletionEncoding.MaxMetadataBytes, Note = "the broker's offset.metadata.max.bytes")]
    public int CommitMetadataMaxBytes { get; init; } = 4096;

    /// <summary>
    /// <see cref="DeliveryGuarantee.ExactlyOnce"/> only: the producer's <c>transactional.id</c>. Unique
    /// per running instance and stable across its restarts, so that a restarted instance fences its
    /// own zombie.
    /// </summary>
    public string? TransactionalId { get; init; }

    /// <summary><see cref="DeliveryGuarantee.ExactlyOnce"/> only: how long transactional calls (init, send offsets, commit, abort) may take. Default 30 s.</summary>
    [OnlyWith(DeliveryGuarantee.ExactlyOnce)]
    [AllowedRange(1000)]
    public TimeSpan TransactionTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a revoke waits for the revoked partitions' running handlers before committing what is finished. Default 30 s.</summary>
    [AllowedRange(0, ExclusiveMinimum = true)]
    public TimeSpan RevokeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a stop waits for running handlers before cancelling them. Default 30 s.</summary>
    [AllowedRange(0, ExclusiveMinimum = true)]
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long an assigned partition may deliver nothing while it has messages to read and the
    /// engine does not hold it (no back-pressure, not stopped) before it is reported as stalled
    /// (<see cref="IProcessorObserver.OnPartitionStalled"/>, a warning, the <c>conveyor.partitions.stalled</c>
    /// gauge, a degraded health check). Default 60 s; <see cref="Timeout.InfiniteTimeSpan"/> turns the watchdog off.
    /// </summary>
    [AllowedRange(1000, InfiniteAllowed = true, Note = "or Timeout.InfiniteTimeSpan to turn the watchdog off")]
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a processor may go without any partition assigned before it asks the cluster why and reports the answer (unreachable or refusing the client,
    /// or a missing topic) through <see cref="IProcessorObserver.OnUnavailable"/>,
    /// <see cref="ProcessorStatus.Unavailable"/>, a warning log (hosting) and the health check.
    /// Reported again after each further period while it lasts. Default 30 s.
    /// </summary>
    [AllowedRange(1000)]
    public TimeSpan UnavailableTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// When true, <see cref="KafkaProcessor{TKey, TValue}.RunAsync"/> ends with a
    /// <see cref="ProcessorStoppedException"/> once a problem is reported after
    /// <see cref="UnavailableTimeout"/>, instead of waiting for the cluster or the topic to appear;
    /// at once when every broker refused the connection before the start, or the cluster does not
    /// support <c>group.protocol=consumer</c>. Default false: like Kafka clients, a processor waits for its brokers.
    /// </summary>
    public bool FailWhenUnavailable { get; init; }

    /// <summary>
    /// Fetched, unfinished messages of one partition past which it is paused if it is stuck: its
    /// lowest unfinished offset has not moved for a second (a slow or blocked key) while it did not
    /// wait its turn for a worker; or while another partition with messages to read has had under
    /// half of this buffered for half a second (it waits behind this one's fetches in librdkafka's
    /// queue). It
    /// resumes once down to half of this, or once the whole buffer is down to a quarter, or, while
    /// the handlers are slow against the whole buffer, once it holds only what they get through
    /// before librdkafka has fetched its messages again (up to a second after a resume). A partition
    /// whose handlers keep up is not otherwise paused for its own count: a pause discards what librdkafka
    /// prefetched, and a deep backlog arrives in bursts; <see cref="MaxBufferedMessages"/> and
    /// <see cref="MaxBufferedBytes"/> bound memory either way. Default 1,000.
    /// </summary>
    [AllowedRange(1)]
    public int MaxBufferedMessagesPerPartition { get; init; } = 1_000;

    /// <summary>Fetched, unfinished messages in all before every partition is paused. Default 10,000.</summary>
    [AllowedRange(1)]
    public int MaxBufferedMessages { get; init; } = 10_000;

    /// <summary>Bytes of fetched, unfinished messages (keys and values) before every partition is paused. Default 64 MiB.</summary>
    [AllowedRange(1024)]
    public long MaxBufferedBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>How a <see cref="Batching.KafkaBatchProcessor{TKey, TValue}"/> groups messages into batches; unused by other processors.</summary>
    [OnlyFor(ProcessorKind.BatchProcessor)]
    public Batching.BatchOptions Batch { get; init; } = new();

    /// <summary>How a <see cref="Forwarding.KafkaForwarder{TKey, TValue}"/> bounds the outputs it handed to its producer and awaits; unused by other processors.</summary>
    [OnlyFor(ProcessorKind.Forwarder)]
    public Forwarding.ForwardingOptions Forwarding { get; init; } = new();

    /// <summary>The fleet: a status record on a status topic, operator commands from a control topic (see docs/operations.md). Off by default.</summary>
    public Conveyor.Fleet.FleetOptions Fleet { get; init; } = new();

    /// <summary>Retries of failed handler calls (and of a forwarder's outputs that were not acknowledged).</summary>
    public RetryOptions Retry { get; init; } = new();

    /// <summary>What happens to a message that failed for good. Default <see cref="FailureAction.DeadLetter"/>.</summary>
    public FailureAction OnFailure { get; init; } = FailureAction.DeadLetter;

    /// <summary>The chain of retry topics of <see cref="FailureAction.RetryTopics"/>; unused by other failure actions.</summary>
    public RetryTopics.RetryTopicOptions RetryTopics { get; init; } = new();

    /// <summary>The dead-letter topic; null derives it from the source topic: <c>{topic}</c> + <see cref="DeadLetterTopicSuffix"/>.</summary>
    public string? DeadLetterTopic { get; init; }

    /// <summary>Suffix of derived dead-letter topic names. Default <c>.dlq</c>.</summary>
    public string DeadLetterTopicSuffix { get; init; } = ".dlq";

    /// <summary>
    /// Where a processor used without Conveyor.Hosting logs what the hosting package logs, with
    /// the same event ids: assignments, revokes, losses, commits (debug) and failed commits,
    /// retries, dead letters, stopped partitions, back-pressure (debug), stalls, an unavailable
    /// cluster, client errors, and the start and end of each run (category <c>Conveyor.Processor</c>,
    /// the processor named by its group), and librdkafka's own log lines (category
    /// <c>Conveyor.Librdkafka</c>); secret property values masked. Null (the default): no logs.
    /// A hosted processor logs through the host's logger factory: leave this null there.
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Whether the engine reads messages with Confluent.Kafka's <c>Consume</c> rather than natively
    /// on the consumer's handle (the default, which allocates less per message). Internal: the
    /// tests run the engine over both paths; the engine falls back by itself when the handle is hidden.
    /// </summary>
    internal bool ConfluentConsume { get; init; }

    /// <summary>The dead-letter topic for messages from <paramref name="sourceTopic"/>.</summary>
    public string DeadLetterTopicFor(string sourceTopic) => DeadLetterTopic ?? sourceTopic + DeadLetterTopicSuffix;

    /// <summary>
    /// Every problem with these options, each naming the option and what it must be; empty when
    /// valid. What a kind of processor cannot do (only a forwarder can be exactly-once) and the client
    /// properties are checked too by <see cref="ProcessorValidation"/>, which building a processor runs.
    /// </summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(GroupId))
        {
            problems.Add($"{nameof(GroupId)} is missing: a processor commits offsets for a consumer group.");
        }

        var topics = Topics ?? [];
        if (topics.Count == 0 || topics.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add($"{nameof(Topics)} must name at least one topic, none of them empty.");
        }

        foreach (var topic in topics.Where(t => !string.IsNullOrWhiteSpace(t) && !IsLegalTopicName(t)))
        {
            problems.Add($"{nameof(Topics)}: '{topic}' is not a legal Kafka topic name (1 to 249 of a-z, A-Z, 0-9, '.', '_', '-'; not '.' or '..').");
        }

        foreach (var topic in topics.Where(t => !string.IsNullOrWhiteSpace(t)).GroupBy(t => t, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"{nameof(Topics)}: '{topic.Key}' is named {topic.Count()} times; name each topic once.");
        }

        // Enum values, null sections and every AllowedRange: worded from the description.
        problems.AddRange(ProcessorOptionsRules.Problems(this));
        Require(problems, !(CommitMode == OffsetCommitMode.Asynchronous && Guarantee == DeliveryGuarantee.AtMostOnce),
            $"{nameof(CommitMode)} {OffsetCommitMode.Asynchronous} cannot be combined with {nameof(Guarantee)} {DeliveryGuarantee.AtMostOnce}: at-most-once must know a batch is committed before handling it. Use {OffsetCommitMode.Synchronous}.");
        if (Guarantee == DeliveryGuarantee.ExactlyOnce)
        {
            Require(problems, !string.IsNullOrWhiteSpace(TransactionalId), $"{nameof(TransactionalId)} is missing: {DeliveryGuarantee.ExactlyOnce} needs a transactional.id, unique per running instance.");
            Require(problems, Ordering == OrderingMode.Partition || PersistCompletions,
                $"{DeliveryGuarantee.ExactlyOnce} with {nameof(Ordering)} {Ordering} needs {nameof(PersistCompletions)}: a message can finish above an unfinished one, and only the transaction's offset metadata can record it, or its outputs are committed twice after a crash. Turn {nameof(PersistCompletions)} on, or use {nameof(Ordering)} {OrderingMode.Partition}.");
            Require(problems, CommitMode == OffsetCommitMode.Synchronous, $"{DeliveryGuarantee.ExactlyOnce} commits offsets inside transactions: {nameof(CommitMode)} must be {OffsetCommitMode.Synchronous}.");
        }

        if (Retry is not null)
        {
            Require(problems, Retry.MaxDelay >= Retry.InitialDelay,
                $"{nameof(Retry)}.{nameof(RetryOptions.MaxDelay)} must be at least {nameof(Retry)}.{nameof(RetryOptions.InitialDelay)}; it is {Retry.MaxDelay}.");
        }

        if (Concurrency is not null && Concurrency.Min >= 1 && MaxConcurrency is >= 1 and <= 100_000)
        {
            // Against a valid MaxConcurrency only: a bad one is reported once, by its range.
            Require(problems, Concurrency.Min <= MaxConcurrency,
                $"{nameof(Concurrency)}.{nameof(Concurrency.Min)} must be between 1 and {nameof(MaxConcurrency)} ({MaxConcurrency}), the adaptive limit's highest; it is {Concurrency.Min}.");
        }

        if (Fleet is null)
        {
            problems.Add("Fleet must not be null (leave it out to keep the fleet off).");
        }
        else
        {
            foreach (var (name, topic) in new[] { ("Fleet.StatusTopic", Fleet.StatusTopic), ("Fleet.ControlTopic", Fleet.ControlTopic) })
            {
                Require(problems, topic is null || IsLegalTopicName(topic) && topic.Length > 0, $"{name} '{topic}' is not a legal Kafka topic name (1 to 249 of a-z, A-Z, 0-9, '.', '_', '-').");
                Require(problems, topic is null || !topics.Contains(topic, StringComparer.Ordinal), $"{name} '{topic}' is also consumed by the processor: give the fleet topics of their own.");
            }

            Require(problems, Fleet.InstanceId is null || !string.IsNullOrWhiteSpace(Fleet.InstanceId), "Fleet.InstanceId must not be empty (leave it null to make one).");
        }

        if (OnFailure == FailureAction.RetryTopics)
        {
            var retry = RetryTopics;
            Require(problems, retry is not null && retry.Delays is { Count: >= 1 and <= 20 }, $"{nameof(RetryTopics)}.{nameof(retry.Delays)} must name 1 to 20 delays (one retry topic each); it names {retry?.Delays?.Count ?? 0}.");
            Require(problems, retry?.Delays is null || retry.Delays.All(d => d > TimeSpan.Zero && d <= TimeSpan.FromDays(7)), $"{nameof(RetryTopics)}.{nameof(retry.Delays)} must each be above 0 and at most 7 days.");
            Require(problems, !string.IsNullOrEmpty(retry?.Suffix) && IsLegalTopicName("t" + retry.Suffix + "1"), $"{nameof(RetryTopics)}.{nameof(retry.Suffix)} '{retry?.Suffix}' must be non-empty and legal in a topic name (a-z, A-Z, 0-9, '.', '_', '-').");
            Require(problems, Guarantee == DeliveryGuarantee.AtLeastOnce, $"{nameof(RetryTopics)} needs {nameof(Guarantee)} {DeliveryGuarantee.AtLeastOnce} (it is {Guarantee}): a message is handed on to a retry topic once it failed.");
        }

        if (OnFailure is FailureAction.DeadLetter or FailureAction.RetryTopics)
        {
            Require(problems, DeadLetterTopic is null || !string.IsNullOrWhiteSpace(DeadLetterTopic), $"{nameof(DeadLetterTopic)} must not be empty (leave it null to derive it).");
            Require(problems, DeadLetterTopic is not null || !string.IsNullOrEmpty(DeadLetterTopicSuffix), $"{nameof(DeadLetterTopicSuffix)} must not be empty when {nameof(DeadLetterTopic)} is not set: the dead-letter topic would be the source topic.");
            Require(problems, string.IsNullOrWhiteSpace(DeadLetterTopic) || IsLegalTopicName(DeadLetterTopic), $"{nameof(DeadLetterTopic)} '{DeadLetterTopic}' is not a legal Kafka topic name (1 to 249 of a-z, A-Z, 0-9, '.', '_', '-').");
            foreach (var topic in topics.Where(t => !string.IsNullOrWhiteSpace(t)))
            {
                var deadLetterTopic = DeadLetterTopicFor(topic);
                if (deadLetterTopic == topic)
                {
                    problems.Add($"The dead-letter topic of '{topic}' is '{topic}' itself: failed messages would be consumed again. Choose another {nameof(DeadLetterTopic)}.");
                }
                else if (topics.Contains(deadLetterTopic, StringComparer.Ordinal))
                {
                    problems.Add($"The dead-letter topic of '{topic}' is '{deadLetterTopic}', which is also consumed: failed messages would be processed again. Choose another {nameof(DeadLetterTopic)} or {nameof(DeadLetterTopicSuffix)}.");
                }
            }
        }

        return problems;
    }

    private static bool IsLegalTopicName(string name) =>
        name.Length <= 249 && name is not ("." or "..") && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    private static void Require(List<string> problems, bool condition, string problem)
    {
        if (!condition)
        {
            problems.Add(problem);
        }
    }
}

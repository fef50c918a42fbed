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

    /// <summary>Handlers running at most at once, across all partitions. Default 64.</summary>
    public int MaxConcurrency { get; init; } = 64;

    /// <summary>When offsets are committed relative to handling. Default <see cref="DeliveryGuarantee.AtLeastOnce"/>.</summary>
    public DeliveryGuarantee Guarantee { get; init; } = DeliveryGuarantee.AtLeastOnce;

    /// <summary>How often finished offsets are committed (also on revoke and on stop). Default 5 s.</summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a revoke waits for the revoked partitions' running handlers before committing what is finished. Default 30 s.</summary>
    public TimeSpan RevokeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a stop waits for running handlers before cancelling them. Default 30 s.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Fetched, unfinished messages per partition before the partition is paused. Default 1,000.</summary>
    public int MaxBufferedMessagesPerPartition { get; init; } = 1_000;

    /// <summary>Fetched, unfinished messages in all before every partition is paused. Default 10,000.</summary>
    public int MaxBufferedMessages { get; init; } = 10_000;

    /// <summary>Bytes of fetched, unfinished messages (keys and values) before every partition is paused. Default 64 MiB.</summary>
    public long MaxBufferedBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Retries of failed handler calls.</summary>
    public RetryOptions Retry { get; init; } = new();

    /// <summary>What happens to a message that failed for good. Default <see cref="FailureAction.DeadLetter"/>.</summary>
    public FailureAction OnFailure { get; init; } = FailureAction.DeadLetter;

    /// <summary>The dead-letter topic; null derives it from the source topic: <c>{topic}</c> + <see cref="DeadLetterTopicSuffix"/>.</summary>
    public string? DeadLetterTopic { get; init; }

    /// <summary>Suffix of derived dead-letter topic names. Default <c>.dlq</c>.</summary>
    public string DeadLetterTopicSuffix { get; init; } = ".dlq";

    /// <summary>The dead-letter topic for messages from <paramref name="sourceTopic"/>.</summary>
    public string DeadLetterTopicFor(string sourceTopic) => DeadLetterTopic ?? sourceTopic + DeadLetterTopicSuffix;

    /// <summary>Every problem with these options, each naming the option and what it must be; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(GroupId))
        {
            problems.Add("GroupId is missing: a processor commits offsets for a consumer group.");
        }

        var topics = Topics ?? [];
        if (topics.Count == 0 || topics.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add("Topics must name at least one topic, none of them empty.");
        }

        foreach (var topic in topics.Where(t => !string.IsNullOrWhiteSpace(t) && !IsLegalTopicName(t)))
        {
            problems.Add($"Topics: '{topic}' is not a legal Kafka topic name (1 to 249 of a-z, A-Z, 0-9, '.', '_', '-'; not '.' or '..').");
        }

        foreach (var topic in topics.Where(t => !string.IsNullOrWhiteSpace(t)).GroupBy(t => t, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"Topics: '{topic.Key}' is named {topic.Count()} times; name each topic once.");
        }

        Require(problems, Enum.IsDefined(Ordering), $"Ordering must be one of {string.Join(", ", Enum.GetNames<OrderingMode>())}; it is {Ordering}.");
        Require(problems, Enum.IsDefined(Guarantee), $"Guarantee must be one of {string.Join(", ", Enum.GetNames<DeliveryGuarantee>())}; it is {Guarantee}.");
        Require(problems, Enum.IsDefined(OnFailure), $"OnFailure must be one of {string.Join(", ", Enum.GetNames<FailureAction>())}; it is {OnFailure}.");
        Require(problems, MaxConcurrency is >= 1 and <= 100_000, $"MaxConcurrency must be between 1 and 100000; it is {MaxConcurrency}.");
        Require(problems, CommitInterval >= TimeSpan.FromMilliseconds(10), $"CommitInterval must be at least 10 ms; it is {CommitInterval}.");
        Require(problems, RevokeTimeout > TimeSpan.Zero, $"RevokeTimeout must be positive; it is {RevokeTimeout}.");
        Require(problems, ShutdownTimeout > TimeSpan.Zero, $"ShutdownTimeout must be positive; it is {ShutdownTimeout}.");
        Require(problems, MaxBufferedMessagesPerPartition >= 1, $"MaxBufferedMessagesPerPartition must be 1 or more; it is {MaxBufferedMessagesPerPartition}.");
        Require(problems, MaxBufferedMessages >= 1, $"MaxBufferedMessages must be 1 or more; it is {MaxBufferedMessages}.");
        Require(problems, MaxBufferedBytes >= 1024, $"MaxBufferedBytes must be at least 1024; it is {MaxBufferedBytes}.");
        if (Retry is null)
        {
            problems.Add("Retry must not be null (leave it out for the defaults).");
            return problems;
        }

        Require(problems, Retry.MaxAttempts >= 1, $"Retry.MaxAttempts must be 1 or more; it is {Retry.MaxAttempts}.");
        Require(problems, Retry.InitialDelay >= TimeSpan.Zero, $"Retry.InitialDelay must not be negative; it is {Retry.InitialDelay}.");
        Require(problems, Retry.MaxDelay >= Retry.InitialDelay, $"Retry.MaxDelay must be at least Retry.InitialDelay; it is {Retry.MaxDelay}.");
        if (OnFailure == FailureAction.DeadLetter)
        {
            Require(problems, DeadLetterTopic is null || !string.IsNullOrWhiteSpace(DeadLetterTopic), "DeadLetterTopic must not be empty (leave it null to derive it).");
            Require(problems, DeadLetterTopic is not null || !string.IsNullOrEmpty(DeadLetterTopicSuffix), "DeadLetterTopicSuffix must not be empty when DeadLetterTopic is not set: the dead-letter topic would be the source topic.");
            Require(problems, string.IsNullOrWhiteSpace(DeadLetterTopic) || IsLegalTopicName(DeadLetterTopic), $"DeadLetterTopic '{DeadLetterTopic}' is not a legal Kafka topic name (1 to 249 of a-z, A-Z, 0-9, '.', '_', '-').");
            foreach (var topic in topics.Where(t => !string.IsNullOrWhiteSpace(t)))
            {
                var deadLetterTopic = DeadLetterTopicFor(topic);
                if (deadLetterTopic == topic)
                {
                    problems.Add($"The dead-letter topic of '{topic}' is '{topic}' itself: failed messages would be consumed again. Choose another DeadLetterTopic.");
                }
                else if (topics.Contains(deadLetterTopic, StringComparer.Ordinal))
                {
                    problems.Add($"The dead-letter topic of '{topic}' is '{deadLetterTopic}', which is also consumed: failed messages would be processed again. Choose another DeadLetterTopic or DeadLetterTopicSuffix.");
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

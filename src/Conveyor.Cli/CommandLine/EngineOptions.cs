using System.CommandLine;
using Conveyor.Cli.Kafka;
using Conveyor.Processing;

namespace Conveyor.Cli.CommandLine;

/// <summary>The processing engine's options on the command line (consume, demo and pipe).</summary>
internal sealed class EngineOptions
{
    public Option<OrderingMode> Ordering { get; } = new("--ordering")
    {
        Description = "Key: in order per key, concurrent across keys; Partition: one at a time per partition; Unordered",
        DefaultValueFactory = _ => OrderingMode.Key,
    };

    public Option<int> Concurrency { get; } = new Option<int>("--concurrency")
    {
        Description = "Handlers running at most at once",
        DefaultValueFactory = _ => 64,
    }.MustBe(v => v is >= 1 and <= 100_000, "between 1 and 100000");

    public Option<int> MaxAttempts { get; } = new Option<int>("--max-attempts")
    {
        Description = "Attempts per message before the failure action (1: no retry)",
        DefaultValueFactory = _ => 3,
    }.MustBe(v => v >= 1, "1 or more");

    public Option<Duration> RetryDelay { get; } = new Option<Duration>("--retry-delay")
    {
        Description = "First retry delay (e.g. 100ms, 5s or hh:mm:ss.fff); later ones double, with jitter",
        DefaultValueFactory = _ => Duration.FromMilliseconds(100),
    }.MustBe(v => v >= TimeSpan.Zero, "0 or more");

    public Option<FailureAction> OnFailure { get; } = new("--on-failure")
    {
        Description = "What happens to a message that failed for good: DeadLetter, StopPartition, StopProcessor, "
            + "RetryTopics (to <topic>.retry.1, .retry.2, ... after --retry-topic-delays, then the dead-letter topic; gives up key order for the retried message)",
        DefaultValueFactory = _ => FailureAction.DeadLetter,
    };

    public Option<DurationList> RetryTopicDelays { get; } = new("--retry-topic-delays")
    {
        Description = $"With --on-failure RetryTopics: the delay of each retry topic, comma-separated ({Durations.Forms})",
        DefaultValueFactory = _ => new DurationList([TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1)]),
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
            var delays = text.Split(',').Select(Durations.TryParse).ToList();
            if (delays.Count == 0 || delays.Any(d => d is null || d <= TimeSpan.Zero))
            {
                result.AddError($"--retry-topic-delays '{text}' must be positive durations separated by commas, {Durations.Forms}.");
                return new DurationList([]);
            }

            return new DurationList([.. delays.Select(d => d!.Value)]);
        },
    };

    public Option<string?> DeadLetterTopic { get; } = new("--dead-letter-topic")
    {
        Description = "Dead-letter topic (default: the source topic + .dlq)",
    };

    public Option<DeliveryGuarantee> Guarantee { get; } = new("--guarantee")
    {
        Description = "AtLeastOnce: commit only finished messages; AtMostOnce: commit before handling (lossy by design); ExactlyOnce: pipe only, outputs and offsets in one transaction",
        DefaultValueFactory = _ => DeliveryGuarantee.AtLeastOnce,
    };

    public Option<Duration> CommitInterval { get; } = new Option<Duration>("--commit-interval")
    {
        Description = "How often finished offsets are committed (also on revoke and stop)",
        DefaultValueFactory = _ => Duration.FromSeconds(5),
    }.MustBe(v => v >= TimeSpan.FromMilliseconds(10), "at least 10ms");

    public Option<Duration> IdleCommitDelay { get; } = new Option<Duration>("--idle-commit-delay")
    {
        Description = "Also commit a partition whose messages are all finished once it received nothing for this long (e.g. 100ms, 1s); off: on the interval only",
        DefaultValueFactory = _ => Duration.FromMilliseconds(100),
        CustomParser = Durations.ParseOrOff,
    }.MustBe(v => v > TimeSpan.Zero || v.Value == Timeout.InfiniteTimeSpan, "positive, or off");

    public Option<int?> CommitEvery { get; } = new Option<int?>("--commit-every")
    {
        Description = "Also commit as soon as this many messages finished since the last commit",
    }.MustBe(v => v is null or >= 1, "1 or more");

    public Option<OffsetCommitMode> CommitMode { get; } = new("--commit-mode")
    {
        Description = "Synchronous: the poll loop waits for each commit; Asynchronous: commits are sent in the background, in order, never backwards",
        DefaultValueFactory = _ => OffsetCommitMode.Synchronous,
    };

    public void AddTo(Command command)
    {
        command.Add(CommitEvery);
        command.Add(CommitMode);
        command.Add(Ordering);
        command.Add(Concurrency);
        command.Add(MaxAttempts);
        command.Add(RetryDelay);
        command.Add(OnFailure);
        command.Add(RetryTopicDelays);
        command.Add(DeadLetterTopic);
        command.Add(Guarantee);
        command.Add(CommitInterval);
        command.Add(IdleCommitDelay);
    }

    public ProcessorOptions ToProcessorOptions(CommandContext context, string topic, string group) => new()
    {
        GroupId = group,
        Topics = [topic],
        // The command checked the cluster and the topic first; what still keeps it from starting
        // (a group protocol the cluster lacks, the cluster gone since) ends it with exit 1.
        FailWhenUnavailable = true,
        Ordering = context.Get(Ordering),
        MaxConcurrency = context.Get(Concurrency),
        Guarantee = context.Get(Guarantee),
        CommitInterval = context.Get(CommitInterval),
        IdleCommitDelay = context.Get(IdleCommitDelay),
        CommitEveryMessages = context.Get(CommitEvery),
        CommitMode = context.Get(CommitMode),
        OnFailure = context.Get(OnFailure),
        RetryTopics = new Conveyor.Processing.RetryTopics.RetryTopicOptions { Delays = context.Get(RetryTopicDelays)?.Values ?? [] },
        DeadLetterTopic = context.Get(DeadLetterTopic),
        Retry = new RetryOptions
        {
            MaxAttempts = context.Get(MaxAttempts),
            InitialDelay = context.Get(RetryDelay),
            MaxDelay = TimeSpan.FromSeconds(10) < context.Get(RetryDelay) ? context.Get(RetryDelay) : TimeSpan.FromSeconds(10),
        },
    };

    // The library names its options; the command line names its flags.
    private static readonly (string Library, string Flag)[] FlagNames =
    [
        ("TransactionalId", "--transactional-id"), ("Ordering ", "--ordering "), ("Guarantee ", "--guarantee "), ("CommitMode ", "--commit-mode "),
        ("MaxConcurrency", "--concurrency"), ("CommitInterval", "--commit-interval"), ("IdleCommitDelay", "--idle-commit-delay"), ("CommitEveryMessages", "--commit-every"),
        ("Retry.MaxAttempts", "--max-attempts"), ("Retry.InitialDelay", "--retry-delay"), ("DeadLetterTopic ", "--dead-letter-topic "),
    ];

    /// <summary>
    /// Checks the engine options before anything connects, with the library's own rules
    /// (<see cref="ProcessorValidation"/>) in the command line's terms; a problem is a usage error (exit 2).
    /// </summary>
    /// <param name="options">The options built from the command line.</param>
    /// <param name="kind">What the command runs: only pipe forwards, so only it can be exactly-once.</param>
    /// <exception cref="CommandFailedException">The options are not valid.</exception>
    public static void Check(ProcessorOptions options, ProcessorKind kind)
    {
        var problems = ProcessorValidation.Problems(options, kind);
        if (problems.Count > 0)
        {
            throw new CommandFailedException(string.Join(" ", problems.Select(ToFlags)), ExitCodes.Usage);
        }
    }

    private static string ToFlags(string problem)
    {
        if (problem == ProcessorValidation.ExactlyOnceNeedsForwarder)
        {
            return "--guarantee ExactlyOnce needs outputs written in the transaction that commits the offsets: use "
                + "conveyor pipe --to OUTPUT --guarantee ExactlyOnce --ordering Partition --transactional-id ID.";
        }

        foreach (var (library, flag) in FlagNames)
        {
            problem = problem.Replace(library, flag, StringComparison.Ordinal);
        }

        return problem.Replace("ExactlyOnce needs", "--guarantee ExactlyOnce needs", StringComparison.Ordinal);
    }
}

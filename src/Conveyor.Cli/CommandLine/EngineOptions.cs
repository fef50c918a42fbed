using System.CommandLine;
using Conveyor.Processing;

namespace Conveyor.Cli.CommandLine;

/// <summary>The processing engine's options on the command line (consume and demo).</summary>
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

    public Option<TimeSpan> RetryDelay { get; } = new Option<TimeSpan>("--retry-delay")
    {
        Description = "First retry delay (hh:mm:ss.fff); later ones double, with jitter",
        DefaultValueFactory = _ => TimeSpan.FromMilliseconds(100),
    }.MustBe(v => v >= TimeSpan.Zero, "0 or more");

    public Option<FailureAction> OnFailure { get; } = new("--on-failure")
    {
        Description = "What happens to a message that failed for good: DeadLetter, StopPartition, StopProcessor",
        DefaultValueFactory = _ => FailureAction.DeadLetter,
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

    public Option<TimeSpan> CommitInterval { get; } = new Option<TimeSpan>("--commit-interval")
    {
        Description = "How often finished offsets are committed (also on revoke and stop)",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(5),
    }.MustBe(v => v >= TimeSpan.FromMilliseconds(10), "at least 00:00:00.010");

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
        command.Add(DeadLetterTopic);
        command.Add(Guarantee);
        command.Add(CommitInterval);
    }

    public ProcessorOptions ToProcessorOptions(CommandContext context, string topic, string group) => new()
    {
        GroupId = group,
        Topics = [topic],
        Ordering = context.Get(Ordering),
        MaxConcurrency = context.Get(Concurrency),
        Guarantee = context.Get(Guarantee),
        CommitInterval = context.Get(CommitInterval),
        CommitEveryMessages = context.Get(CommitEvery),
        CommitMode = context.Get(CommitMode),
        OnFailure = context.Get(OnFailure),
        DeadLetterTopic = context.Get(DeadLetterTopic),
        Retry = new RetryOptions
        {
            MaxAttempts = context.Get(MaxAttempts),
            InitialDelay = context.Get(RetryDelay),
            MaxDelay = TimeSpan.FromSeconds(10) < context.Get(RetryDelay) ? context.Get(RetryDelay) : TimeSpan.FromSeconds(10),
        },
    };
}

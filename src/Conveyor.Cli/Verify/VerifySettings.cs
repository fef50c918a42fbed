namespace Conveyor.Cli.Verify;

/// <summary>One verify run; <see cref="ExactlyOnce"/> makes the workers forward through transactions.</summary>
internal sealed record VerifySettings(
    int Messages,
    int Partitions,
    int Workers,
    string Strategy,
    Conveyor.Processing.OrderingMode Ordering,
    string Assignor,
    FaultKind Faults,
    TimeSpan FaultInterval,
    double FailRate,
    int PermanentEvery,
    double SlowRate,
    int Seed,
    TimeSpan Timeout,
    TimeSpan HandlerDelay,
    int Concurrency,
    bool ExactlyOnce = false)
{
    /// <summary>
    /// Whether the engine workers persist completions in the commit metadata (<c>--completions persisted</c>,
    /// the default) or commit the watermark alone (<c>watermark</c>), to compare the duplicates of both.
    /// </summary>
    public bool PersistCompletions { get; init; } = true;

    /// <summary>Whether failed messages go through retry topics before the dead-letter topic (<c>--retry-topics</c>).</summary>
    public bool RetryTopics { get; init; }

    /// <summary>Whether the engine workers run with the adaptive concurrency limit (<c>--adaptive</c>), up to <see cref="Concurrency"/>.</summary>
    public bool Adaptive { get; init; }

    /// <summary>How long the run may make no progress before it says so (it goes on until <see cref="Timeout"/>).</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

namespace Conveyor.Processing.Batching;

/// <summary>
/// How messages are grouped into batches, per partition: a batch closes when it holds
/// <see cref="MaxMessages"/> messages or <see cref="MaxBytes"/> bytes, or <see cref="MaxWait"/>
/// after its first message arrived, whichever comes first.
/// </summary>
public sealed record BatchOptions
{
    /// <summary>Messages in one batch at most. Default 100.</summary>
    [AllowedRange(1, Maximum = 100_000)]
    public int MaxMessages { get; init; } = 100;

    /// <summary>Bytes (keys and values as fetched) in one batch at most; a single larger message makes a batch of its own. Default 1 MiB.</summary>
    [AllowedRange(1)]
    public long MaxBytes { get; init; } = 1024 * 1024;

    /// <summary>How long a batch waits for more messages after its first one. Default 100 ms.</summary>
    [AllowedRange(0, ExclusiveMinimum = true)]
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMilliseconds(100);
}

namespace Conveyor.Processing.Forwarding;

/// <summary>
/// How a <see cref="KafkaForwarder{TKey, TValue}"/> hands outputs to its producer; unused by other
/// processors. Outputs are pipelined: a handler's outputs go to the producer and the worker takes
/// the next message at once; the input finishes when every output is acknowledged. These bound the
/// outputs given to the producer and not yet acknowledged: a worker with more to send waits for room.
/// </summary>
public sealed record ForwardingOptions
{
    /// <summary>Outputs handed to the producer and not yet acknowledged, at most. Default 10,000.</summary>
    public int MaxUnacknowledgedOutputs { get; init; } = 10_000;

    /// <summary>Bytes (keys and values) of those outputs, at most; a single input's larger outputs go alone. Default 32 MiB.</summary>
    public long MaxUnacknowledgedBytes { get; init; } = 32L * 1024 * 1024;
}

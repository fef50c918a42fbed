namespace Conveyor.Processing.Forwarding;

/// <summary>
/// How a <see cref="KafkaForwarder{TKey, TValue}"/> hands outputs to its producer; unused by other
/// processors. Outputs are pipelined: a handler's outputs go to the producer and the worker takes
/// the next message at once; the input finishes when every output is acknowledged. These bound the
/// outputs given to the producer and not yet acknowledged: a worker with more to send waits for room.
/// </summary>
public sealed record ForwardingOptions
{
    /// <summary>
    /// Outputs handed to the producer and not yet acknowledged, at most. Default 4,000: with
    /// acknowledgements after 10 ms that still allows 400,000 outputs a second, and every output in
    /// flight keeps its input and the client's objects alive, which the garbage collector pays for
    /// (measured on the embedded broker: 10,000 spent twice the GC pause time for no more throughput).
    /// Raise it for a cluster far away. An input's outputs keep their room until the last of them is acknowledged.
    /// </summary>
    [AllowedRange(1)]
    public int MaxUnacknowledgedOutputs { get; init; } = 4_000;

    /// <summary>Bytes (keys and values) of those outputs, at most; a single input's larger outputs go alone. Default 16 MiB.</summary>
    [AllowedRange(1024)]
    public long MaxUnacknowledgedBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>
    /// At-least-once outputs go through Conveyor's own producer on librdkafka (the same library,
    /// configuration and idempotence as Confluent.Kafka's producer), which allocates nothing per
    /// record; false uses Confluent.Kafka's producer, which allocates about 500 bytes per record
    /// that live until its acknowledgement. Default true. Exactly-once forwarding always uses
    /// Confluent.Kafka's transactional producer.
    /// </summary>
    public bool NativeProducer { get; init; } = true;
}

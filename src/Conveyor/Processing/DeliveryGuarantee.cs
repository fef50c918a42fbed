namespace Conveyor.Processing;

/// <summary>When a message's offset is committed relative to its handling.</summary>
public enum DeliveryGuarantee
{
    /// <summary>Commit only offsets whose messages (and every one before them) are finished: nothing is lost, a crash may repeat work.</summary>
    AtLeastOnce,

    /// <summary>
    /// Commit each fetched batch before handling it. Lossy by design: a crash or a failure loses the
    /// messages being handled; nothing is handled twice. Failures are still reported, never retried.
    /// </summary>
    AtMostOnce,

    /// <summary>
    /// Consume, transform, produce in Kafka transactions (a <see cref="Forwarding.KafkaForwarder{TKey, TValue}"/> only):
    /// outputs and input offsets are committed together, so each input's outputs appear exactly once
    /// to read_committed consumers. Needs <see cref="ProcessorOptions.TransactionalId"/> and
    /// <see cref="OrderingMode.Partition"/>. Holds only on a real broker; the embedded one accepts
    /// transactions without enforcing them.
    /// </summary>
    ExactlyOnce,
}

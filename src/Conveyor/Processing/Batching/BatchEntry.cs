using Confluent.Kafka;

namespace Conveyor.Processing.Batching;

/// <summary>One message waiting in, or running as part of, a batch; its engine handler call awaits <see cref="Done"/>.</summary>
internal sealed class BatchEntry<TKey, TValue>
{
    public BatchEntry(MessageContext<TKey, TValue> message, CancellationToken cancellationToken)
    {
        Message = message;
        CancellationToken = cancellationToken;
        ArrivedAt = DateTime.UtcNow;
    }

    public MessageContext<TKey, TValue> Message { get; }

    /// <summary>The engine's abort token, handed to the batch handler.</summary>
    public CancellationToken CancellationToken { get; }

    public DateTime ArrivedAt { get; }

    /// <summary>Completes when the message is finished; faults with the failure the failure action must see.</summary>
    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Batch attempts that failed at this message.</summary>
    public int FailedAttempts { get; set; }

    public TopicPartitionOffset Position => new(Message.Topic, Message.Partition, Message.Offset);
}

using Confluent.Kafka;
using Conveyor.Processing.RetryTopics;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Retry topics: a message read from a retry topic before its due time is not handled; its
/// partition is paused and rewound to it, and resumed when it is due. Retry topics are written in
/// failure order with one delay each, so the messages behind it are due no earlier. No worker waits.
/// </summary>
internal sealed partial class PollLoop
{
    /// <summary>Whether the message must wait: then its partition is paused at it until it is due.</summary>
    private bool NotYetDue(PartitionState partition, ConsumeResult<byte[]?, byte[]?> result, DateTime now)
    {
        if (!_retries!.IsRetryTopic(result.Topic) || RetryRoute.DueAt(result) is not { } due || due.UtcDateTime <= now)
        {
            return false;
        }

        partition.Poll.RetryDueAt = due.UtcDateTime;
        if (!partition.Poll.Paused)
        {
            Pause([partition]);
        }

        try
        {
            // Paused first, so nothing more of it is fetched; then read again from this message on resume.
            _consumer.Seek(result.TopicPartitionOffset);
        }
        catch (KafkaException e)
        {
            _observer.OnError(e.Error);
        }

        return true;
    }

    /// <summary>Whether the partition still waits for a retry's due time; clears the wait once it is due.</summary>
    private static bool WaitingForRetry(PartitionState partition, DateTime now)
    {
        if (partition.Poll.RetryDueAt is { } due && due <= now)
        {
            partition.Poll.RetryDueAt = null;
        }

        return partition.Poll.RetryDueAt is not null;
    }
}

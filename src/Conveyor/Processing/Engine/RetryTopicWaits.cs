using Confluent.Kafka;
using Conveyor.Processing.RetryTopics;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Retry topics: a message read from a retry topic before its due time is not handled; its
/// partition is paused and rewound to it, and resumed when it is due. Retry topics are written in
/// failure order with one delay each, so the messages behind it are due no earlier. No worker
/// waits. Without retry topics (<see cref="For"/>) nothing waits. A due time is another process's
/// wall time, so it is compared with the wall clock (<see cref="EngineClock.WallNow"/>), not the
/// engine's. Poll thread only.
/// </summary>
internal abstract class RetryTopicWaits
{
    /// <summary>The waits of a processor: real ones with <see cref="FailureAction.RetryTopics"/>, none otherwise.</summary>
    public static RetryTopicWaits For(ProcessorOptions options, IConsumer<byte[]?, byte[]?> consumer, ClientPauses pauses, IProcessorObserver observer, EngineClock clock) =>
        options.OnFailure == FailureAction.RetryTopics ? new Waits(new RetryRoute(options), consumer, pauses, observer, clock) : new NoWaits();

    /// <summary>Whether the partition still waits for a retry's due time; clears the wait once it is due (on the wall clock, read only when it waits).</summary>
    public static bool WaitingForRetry(PartitionState partition, EngineClock clock)
    {
        if (partition.Poll.RetryDueAt is { } due && due <= clock.WallNow)
        {
            partition.Poll.RetryDueAt = null;
        }

        return partition.Poll.RetryDueAt is not null;
    }

    /// <summary>Whether the message must wait: then its partition is paused at it until it is due.</summary>
    public abstract bool NotYetDue(PartitionState partition, ConsumeResult<byte[]?, byte[]?> result);

    private sealed class NoWaits : RetryTopicWaits
    {
        public override bool NotYetDue(PartitionState partition, ConsumeResult<byte[]?, byte[]?> result) => false;
    }

    private sealed class Waits(RetryRoute retries, IConsumer<byte[]?, byte[]?> consumer, ClientPauses pauses, IProcessorObserver observer, EngineClock clock) : RetryTopicWaits
    {
        public override bool NotYetDue(PartitionState partition, ConsumeResult<byte[]?, byte[]?> result)
        {
            if (!retries.IsRetryTopic(result.Topic) || RetryRoute.DueAt(result) is not { } due || due.UtcDateTime <= clock.WallNow)
            {
                return false;
            }

            partition.Poll.RetryDueAt = due.UtcDateTime;
            if (!partition.Poll.Paused)
            {
                pauses.Pause([partition]);
            }

            try
            {
                // Paused first, so nothing more of it is fetched; then read again from this message on resume.
                consumer.Seek(result.TopicPartitionOffset);
            }
            catch (KafkaException e)
            {
                observer.OnError(e.Error);
            }

            return true;
        }
    }
}

using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>Pauses and resumes partitions in the client, on the poll thread, and says why.</summary>
internal sealed class ClientPauses(IConsumer<byte[]?, byte[]?> consumer, IProcessorObserver observer)
{
    /// <summary>Pauses the partitions in the client; reports the ones paused for back-pressure.</summary>
    public void Pause(List<PartitionState> states)
    {
        foreach (var partition in states)
        {
            partition.Poll.Paused = true;
            partition.Poll.ResumedAt = null; // paused again before its messages came: that wait tells nothing of a refetch
        }

        List<TopicPartition> partitions = [.. states.Select(p => p.TopicPartition)];
        consumer.Pause(partitions);

        // A partition stopped at a failed message is paused too, but that is no back-pressure:
        // OnPartitionStopped has told of it already. Nor is a retry topic waiting for a due time.
        List<TopicPartition> pressed = [.. states.Where(p => !p.Stopped && p.Poll.RetryDueAt is null).Select(p => p.TopicPartition)];
        if (pressed.Count > 0)
        {
            observer.OnBackPressure(pressed, paused: true);
        }
    }

    /// <summary>
    /// Resumes partitions in librdkafka that the engine does not hold, in case librdkafka holds them
    /// without the engine knowing. Resuming a partition that is not paused does nothing.
    /// </summary>
    public void ResumeInClient(List<TopicPartition> partitions)
    {
        try
        {
            consumer.Resume(partitions);
        }
        catch (KafkaException e) when (e.Error.Code == ErrorCode.Local_Partial)
        {
            // Partitions this client never had are unknown to it yet ("Local: Unknown partition"):
            // nothing holds them, so there is nothing to resume and nothing to report.
        }
        catch (KafkaException e)
        {
            observer.OnError(e.Error);
        }
    }
}

using System.Diagnostics;
using Confluent.Kafka;
using Conveyor.Processing.Batching;

namespace Conveyor.Diagnostics;

/// <summary>Per batch handler call: its duration, and the messages it finished counted processed.</summary>
internal sealed partial class ProcessorTelemetry
{
    /// <summary>
    /// The batch handler, timed per call (one attempt of the batch); the messages it finished count
    /// processed: all of them, or those before the one a <see cref="BatchFailedException"/> names.
    /// </summary>
    public BatchHandler<TKey, TValue> Wrap<TKey, TValue>(BatchHandler<TKey, TValue> handler) => async (batch, cancellationToken) =>
    {
        var started = Stopwatch.GetTimestamp();
        var tags = MessageTags(new TopicPartition(batch[0].Topic, batch[0].Partition));
        try
        {
            await handler(batch, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var failedTags = tags;
            failedTags.Add(MessagingAttributes.ErrorType, (e is BatchFailedException { InnerException: { } inner } ? inner : e).GetType().FullName);
            ConveyorMetrics.HandlerDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, failedTags);
            if (e is BatchFailedException failed && failed.Index > 0 && failed.Index < batch.Count)
            {
                ConveyorMetrics.Processed.Add(failed.Index, tags);
            }

            throw;
        }

        ConveyorMetrics.HandlerDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        ConveyorMetrics.Processed.Add(batch.Count, tags);
    };
}

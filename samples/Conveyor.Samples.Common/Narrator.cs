using Confluent.Kafka;
using Conveyor.Processing;

namespace Conveyor.Samples;

/// <summary>Prints what the processor does (retries, dead letters, commits) and passes every event on.</summary>
public sealed class Narrator(TextWriter output, params IProcessorObserver[] next) : CompositeObserver(next)
{
    public override void OnRetrying(TopicPartitionOffset message, int failedAttempt, Exception exception, TimeSpan delay)
    {
        output.WriteLine($"retrying {message} (attempt {failedAttempt} failed: {exception.Message}) in {delay.TotalMilliseconds:0} ms");
        base.OnRetrying(message, failedAttempt, exception, delay);
    }

    public override void OnDeadLettered(TopicPartitionOffset message, TopicPartitionOffset deadLetter, Exception exception)
    {
        // With FailureAction.RetryTopics this also reports each hand-over to a retry topic.
        output.WriteLine($"{(deadLetter.Topic.Contains(".retry.", StringComparison.Ordinal) ? "sent for a later retry" : "dead-lettered")} {message} to {deadLetter}: {exception.GetType().Name}: {exception.Message}");
        base.OnDeadLettered(message, deadLetter, exception);
    }

    public override void OnCommitted(IReadOnlyList<TopicPartitionOffset> offsets)
    {
        output.WriteLine($"committed {string.Join(", ", offsets)}");
        base.OnCommitted(offsets);
    }

    public override void OnForwarded(TopicPartitionOffset input, IReadOnlyList<TopicPartitionOffset> outputs)
    {
        output.WriteLine($"forwarded {input} to {string.Join(", ", outputs)}");
        base.OnForwarded(input, outputs);
    }

    public override void OnTransactionCommitted(IReadOnlyList<TopicPartitionOffset> offsets)
    {
        output.WriteLine($"transaction committed with offsets {string.Join(", ", offsets)}");
        base.OnTransactionCommitted(offsets);
    }
}

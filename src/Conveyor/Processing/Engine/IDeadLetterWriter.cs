using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Where <see cref="MessageExecutor{TKey, TValue}"/> hands a message that failed for good:
/// <see cref="DeadLetterPublisher"/> in a processor; a recording one in Conveyor.Testing's
/// <c>HandlerRun</c>, which runs a handler through the failure rules without a broker.
/// </summary>
internal interface IDeadLetterWriter
{
    /// <summary>Writes the message with its failure (to the next retry topic or the dead-letter topic) and returns where it landed once acknowledged; throws if it cannot.</summary>
    Task<TopicPartitionOffset> PublishAsync(ConsumeResult<byte[]?, byte[]?> source, FailureRecord failure, CancellationToken cancellationToken);
}

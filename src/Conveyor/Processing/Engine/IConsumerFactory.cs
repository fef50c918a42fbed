using Confluent.Kafka;
using Conveyor.Processing.Completions;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Makes the poll loop's consumer. The loop hands over its callbacks, because the consumer calls
/// them from inside <c>Consume</c> (rebalances) or its own threads (errors, logs, statistics): a
/// fake consumer calls them the same way, so tests run the loop's real rebalance code.
/// </summary>
internal interface IConsumerFactory
{
    /// <summary>A consumer that calls <paramref name="callbacks"/>.</summary>
    IConsumer<byte[]?, byte[]?> Create(ConsumerCallbacks callbacks);

    /// <summary>Commits and reads with metadata on a consumer this factory made; null when that cannot be done.</summary>
    IOffsetsWithMetadata? OffsetsWithMetadata(IConsumer<byte[]?, byte[]?> consumer);

    /// <summary>
    /// Where the feeder reads <paramref name="consumer"/>'s messages (a consumer this factory made):
    /// its own <c>Consume</c> unless the factory reads them another way.
    /// </summary>
    /// <param name="consumer">The consumer.</param>
    /// <param name="warn">Hears why a faster way could not be used.</param>
    IMessageSource Messages(IConsumer<byte[]?, byte[]?> consumer, Action<Error> warn) => new ConsumerMessages(consumer);
}

/// <summary>What the poll loop wants to hear from its consumer.</summary>
internal sealed record ConsumerCallbacks(
    Action<IConsumer<byte[]?, byte[]?>, List<TopicPartition>> Assigned,
    Action<IConsumer<byte[]?, byte[]?>, List<TopicPartitionOffset>> Revoked,
    Action<IConsumer<byte[]?, byte[]?>, List<TopicPartitionOffset>> Lost,
    Action<IConsumer<byte[]?, byte[]?>, Error> Error,
    Action<IConsumer<byte[]?, byte[]?>, LogMessage> Log,
    Action<IConsumer<byte[]?, byte[]?>, string> Statistics);

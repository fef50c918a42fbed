namespace Conveyor.Processing;

/// <summary>What a processor does with its messages: the three shapes <see cref="KafkaProcessorBuilder{TKey, TValue}"/> builds.</summary>
public enum ProcessorKind
{
    /// <summary>A handler per message (<see cref="KafkaProcessorBuilder{TKey, TValue}.Handle"/>, <see cref="KafkaProcessor{TKey, TValue}"/>).</summary>
    Processor,

    /// <summary>A handler per message that returns records to write (<see cref="KafkaProcessorBuilder{TKey, TValue}.Forward"/>, <see cref="Forwarding.KafkaForwarder{TKey, TValue}"/>); the only kind that can be exactly-once.</summary>
    Forwarder,

    /// <summary>A handler per batch of one partition's messages (<see cref="KafkaProcessorBuilder{TKey, TValue}.HandleBatches"/>, <see cref="Batching.KafkaBatchProcessor{TKey, TValue}"/>).</summary>
    BatchProcessor,
}

using Conveyor.Configuration;
using Conveyor.Serialization;

namespace Conveyor.Processing;

/// <summary>
/// What <see cref="KafkaProcessorBuilder{TKey, TValue}"/> hands each kind of processor: validated
/// client properties and options, the deserializers, and the telemetry layer in front of the observer.
/// </summary>
internal sealed record ProcessorParts<TKey, TValue>(
    KafkaClientProperties Client,
    ProcessorOptions Options,
    MessageDeserializer<TKey> Keys,
    MessageDeserializer<TValue> Values,
    Engine.IEngineEvents Telemetry);

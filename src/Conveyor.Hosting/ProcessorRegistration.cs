using Confluent.Kafka;
using Conveyor.Processing;

namespace Conveyor.Hosting;

/// <summary>What a hosted processor takes besides its configuration: deserializers, an observer, health limits.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public sealed class ProcessorRegistration<TKey, TValue>
{
    /// <summary>Key deserializer; default: UTF-8 for strings, raw for byte arrays, JSON otherwise.</summary>
    public IDeserializer<TKey>? KeyDeserializer { get; set; }

    /// <summary>Value deserializer; same defaults.</summary>
    public IDeserializer<TValue>? ValueDeserializer { get; set; }

    /// <summary>An asynchronous key deserializer (e.g. a Schema Registry serde), instead of <see cref="KeyDeserializer"/>.</summary>
    public IAsyncDeserializer<TKey>? AsyncKeyDeserializer { get; set; }

    /// <summary>An asynchronous value deserializer (e.g. a Schema Registry serde), instead of <see cref="ValueDeserializer"/>.</summary>
    public IAsyncDeserializer<TValue>? AsyncValueDeserializer { get; set; }

    /// <summary>Hears rebalances, commits, retries, dead letters and stops, after they are logged.</summary>
    public IProcessorObserver? Observer { get; set; }

    /// <summary>
    /// The health check reports unhealthy when the poll loop has not gone round for this long.
    /// Default 1 minute: longer than a revoke's default wait for running handlers (30 s), which holds the loop.
    /// </summary>
    public TimeSpan MaxPollAge { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Gives the builder the deserializers and the observer set here; an observer in front of the user's (which logs) is given by the caller.</summary>
    internal KafkaProcessorBuilder<TKey, TValue> Apply(KafkaProcessorBuilder<TKey, TValue> builder)
    {
        if (AsyncKeyDeserializer is { } asyncKeys)
        {
            builder.SetKeyDeserializer(asyncKeys);
        }
        else if (KeyDeserializer is { } keys)
        {
            builder.SetKeyDeserializer(keys);
        }

        if (AsyncValueDeserializer is { } asyncValues)
        {
            builder.SetValueDeserializer(asyncValues);
        }
        else if (ValueDeserializer is { } values)
        {
            builder.SetValueDeserializer(values);
        }

        return builder;
    }

    /// <summary>Refuses a key or a value given both kinds of deserializer.</summary>
    /// <exception cref="ArgumentException">Both kinds are set for the key or for the value.</exception>
    internal void Validate()
    {
        if (KeyDeserializer is not null && AsyncKeyDeserializer is not null)
        {
            throw new ArgumentException("Set KeyDeserializer or AsyncKeyDeserializer, not both.");
        }

        if (ValueDeserializer is not null && AsyncValueDeserializer is not null)
        {
            throw new ArgumentException("Set ValueDeserializer or AsyncValueDeserializer, not both.");
        }
    }
}

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

    /// <summary>Hears rebalances, commits, retries, dead letters and stops, after they are logged.</summary>
    public IProcessorObserver? Observer { get; set; }

    /// <summary>
    /// The health check reports unhealthy when the poll loop has not gone round for this long.
    /// Default 1 minute: longer than a revoke's default wait for running handlers (30 s), which holds the loop.
    /// </summary>
    public TimeSpan MaxPollAge { get; set; } = TimeSpan.FromMinutes(1);
}

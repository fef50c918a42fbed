using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Processing.Engine;

namespace Conveyor.Processing;

/// <summary>
/// Builds every producer the engine owns (dead-letter, output, transactional) with the same
/// settings and the same routing: an idempotent producer (acks from all in-sync replicas, no
/// duplicates or reordering from its own retries; the user's properties override these), whose
/// errors and log lines go through the processor's events (counted, secrets masked) before they
/// reach the user's observer.
/// </summary>
internal static class ProducerFactory
{
    /// <param name="client">The user's properties.</param>
    /// <param name="linger">How long the producer waits to fill a batch: 0 where each send is awaited on its own (dead letters).</param>
    /// <param name="events">Hears every error and log line.</param>
    /// <param name="onFatal">Also hears fatal errors, after the events (a forwarder stops on them).</param>
    /// <param name="transactionalId">Makes it transactional (exactly-once forwarding).</param>
    public static IProducer<byte[]?, byte[]?> Build(
        KafkaClientProperties client,
        TimeSpan linger,
        IEngineEvents events,
        Action<Error>? onFatal = null,
        string? transactionalId = null)
    {
        var config = Config(client, linger, transactionalId);
        return new ProducerBuilder<byte[]?, byte[]?>(config)
            .SetErrorHandler((_, error) =>
            {
                events.OnError(error);
                if (error.IsFatal)
                {
                    onFatal?.Invoke(error);
                }
            })
            .SetLogHandler((_, message) => events.ClientLog(message))
            .Build();
    }

    /// <summary>The properties every engine-owned producer gets: the defaults above, the user's over them, and the transactional id.</summary>
    public static Dictionary<string, string> Config(KafkaClientProperties client, TimeSpan linger, string? transactionalId = null)
    {
        List<KeyValuePair<string, string>> defaults =
        [
            new("enable.idempotence", "true"),
            new("acks", "all"),
            new("linger.ms", ((long)linger.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            // Confluent.Kafka copies these into every delivery report unless told not to; Conveyor
            // reads only where a record landed (always reported) and the error.
            new("dotnet.producer.delivery.report.fields", "none"),
        ];
        if (transactionalId is not null)
        {
            defaults.Add(new("transaction.timeout.ms", "60000"));
        }

        // The user's properties are the consumer's too: those a producer ignores would each log a warning.
        var config = ConsumerOnlyProperties.Without(client.ToDictionary(defaults));
        if (transactionalId is not null)
        {
            config["transactional.id"] = transactionalId;
        }

        return config;
    }
}

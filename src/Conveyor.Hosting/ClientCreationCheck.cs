using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Processing;
using Conveyor.Processing.Engine;

namespace Conveyor.Hosting;

/// <summary>
/// Makes the processor's consumer and producer once, as the CLI does before a command runs, and
/// throws them away: librdkafka checks some settings only when it creates a client (an unknown
/// <c>sasl.mechanisms</c>, missing TLS files), and those should fail at start, not once the
/// host is already serving.
/// </summary>
internal static class ClientCreationCheck
{
    /// <summary>Why librdkafka refuses to create a client with these settings, in its words; null when it creates them.</summary>
    public static string? Problem(KafkaClientProperties client, ProcessorOptions options)
    {
        try
        {
            // Not subscribed and closed at once: nothing joins a group; the log handlers keep
            // librdkafka's connection attempts to a not-yet-running broker off the console.
            using (new ConsumerBuilder<byte[]?, byte[]?>(ConsumerSettings.For(client, options)).SetLogHandler((_, _) => { }).SetErrorHandler((_, _) => { }).Build())
            {
            }

            using (new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig(client.ToDictionary())).SetLogHandler((_, _) => { }).SetErrorHandler((_, _) => { }).Build())
            {
            }

            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or KafkaException or ArgumentException)
        {
            return $"librdkafka cannot create a client with these settings: {SecretProperties.Redact(e.Message, client.ToDictionary())}. Check the properties it names.";
        }
    }
}

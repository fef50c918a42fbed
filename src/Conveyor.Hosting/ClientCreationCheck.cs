using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Diagnostics;
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
    public static string? Problem(KafkaClientProperties client, ProcessorOptions options) =>
        ClusterDiagnosis.ClientRefusal(ConsumerSettings.For(client, options), new ProducerConfig(client.ToDictionary())) is { } refused
            ? $"{ClusterDiagnosis.CannotCreate(SecretProperties.Redact(refused, client.ToDictionary()))}. Check the properties it names."
            : null;
}

using Conveyor.Configuration;
using Conveyor.Processing;

namespace Conveyor.Hosting;

/// <summary>
/// One hosted processor's settings, bound from its configuration section: the
/// <see cref="ProcessorOptions"/> properties at the top of the section, librdkafka properties under
/// <c>Kafka</c> (<c>bootstrap.servers</c> among them). Checked when the host starts.
/// </summary>
public sealed class ProcessorSettings
{
    /// <summary>The librdkafka client property that names the brokers.</summary>
    public const string BootstrapServersKey = "bootstrap.servers";

    /// <summary>How the processor consumes, orders, commits and fails.</summary>
    public ProcessorOptions Processor { get; set; } = new();

    /// <summary>librdkafka properties by name (<c>bootstrap.servers</c>, <c>security.protocol</c>, ...).</summary>
    public Dictionary<string, string> Kafka { get; } = new(StringComparer.Ordinal);

    /// <summary>Values in the configuration section that could not be bound, one sentence each.</summary>
    internal List<string> BindingProblems { get; } = [];

    /// <summary>Which registration made it: the dashboard shows batch settings only for a batch processor, output settings only for a forwarder.</summary>
    internal ProcessorKind Kind { get; set; }

    /// <summary>The client properties: <c>bootstrap.servers</c> and the rest.</summary>
    public KafkaClientProperties ToClientProperties() => new(
        Kafka.GetValueOrDefault(BootstrapServersKey) ?? throw new InvalidOperationException($"Kafka:{BootstrapServersKey} is not set."),
        Kafka.Where(p => p.Key != BootstrapServersKey).Select(p => new KafkaProperty(p.Key, p.Value)));
}

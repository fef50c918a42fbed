using Confluent.Kafka;
using Conveyor.Configuration;

namespace Conveyor.Cli.Kafka;

/// <summary>
/// Turns the command line's connection options into Confluent.Kafka client configs, with the
/// CLI's defaults underneath so that anything given with <c>-X</c> wins.
/// </summary>
internal sealed class ClientSettings
{
    // Bounded delivery: a message that cannot be delivered fails within 30 s instead of
    // librdkafka's 5 minutes, so a wrong topic or a dead cluster shows up while the user watches.
    private static readonly KeyValuePair<string, string>[] ProducerDefaults =
    [
        new("enable.idempotence", "true"),
        new("message.timeout.ms", "30000"),
        new("linger.ms", "5"),
    ];

    // A member joining a running classic group waits session.timeout.ms: 6 s (the brokers'
    // minimum) keeps rebalances short in demos; pass -X session.timeout.ms=45000 for Kafka's default.
    private static readonly KeyValuePair<string, string>[] ConsumerDefaults =
    [
        new("session.timeout.ms", "6000"),
        new("auto.offset.reset", "earliest"),
        new("fetch.wait.max.ms", "100"),
    ];

    // Properties of the classic group protocol that librdkafka refuses with group.protocol=consumer
    // (KIP-848): the broker decides session timeouts, heartbeats and assignment there.
    private static readonly string[] ClassicGroupOnly =
        ["session.timeout.ms", "heartbeat.interval.ms", "partition.assignment.strategy", "group.protocol.type"];

    /// <exception cref="CommandFailedException">A classic-protocol property is given with group.protocol=consumer (exit 2).</exception>
    public ClientSettings(KafkaClientProperties properties)
    {
        Properties = properties;
        if (UsesConsumerProtocol && properties.Properties.FirstOrDefault(p => ClassicGroupOnly.Contains(p.Key)) is { Key: not null } conflict)
        {
            throw new CommandFailedException(
                $"-X {conflict.Key} cannot be used with -X group.protocol=consumer (KIP-848): the broker sets it for such groups. "
                + $"Remove -X {conflict.Key}, or drop group.protocol=consumer to use the classic protocol.",
                ExitCodes.Usage);
        }
    }

    /// <summary>Whether consumers join with the KIP-848 protocol (<c>group.protocol=consumer</c>).</summary>
    public bool UsesConsumerProtocol =>
        Properties.Properties.Any(p => p.Key == "group.protocol" && string.Equals(p.Value, "consumer", StringComparison.OrdinalIgnoreCase));

    /// <summary>The CLI's consumer defaults that apply to this group protocol.</summary>
    private IEnumerable<KeyValuePair<string, string>> ApplicableConsumerDefaults =>
        UsesConsumerProtocol ? ConsumerDefaults.Where(d => !ClassicGroupOnly.Contains(d.Key)) : ConsumerDefaults;

    public KafkaClientProperties Properties { get; }

    public string BootstrapServers => Properties.BootstrapServers;

    /// <summary>librdkafka's own log lines are shown only when the user asked for them with -X debug=...</summary>
    public bool ShowClientLogs => Properties.Properties.Any(p => p.Key == "debug");

    /// <summary>A log handler that prints librdkafka's lines to <paramref name="errors"/> when asked for, and drops them otherwise.</summary>
    public Action<IClient, LogMessage> LogTo(TextWriter errors) => (_, log) =>
    {
        if (ShowClientLogs)
        {
            errors.WriteLine(LogLine(log));
        }
    };

    /// <summary>How the CLI prints one of librdkafka's log lines.</summary>
    public static string LogLine(LogMessage log) => $"librdkafka {log.Level} {log.Facility}: {log.Message}";

    public ProducerConfig Producer() => new(Properties.ToDictionary(ProducerDefaults));

    public ConsumerConfig Consumer(string groupId, bool autoCommit)
    {
        var defaults = ApplicableConsumerDefaults.Concat(
        [
            new("group.id", groupId),
            new("enable.auto.commit", autoCommit ? "true" : "false"),
        ]);
        return new ConsumerConfig(Properties.ToDictionary(defaults));
    }

    public AdminClientConfig Admin() => new(Properties.ToDictionary());

    /// <summary>
    /// The properties for an engine processor or forwarder: the CLI's consumer defaults (short
    /// session timeout, short fetch wait) unless the user set them, then the user's properties.
    /// The engine itself sets the group id and takes over committing.
    /// </summary>
    public KafkaClientProperties ForProcessor() => new(
        BootstrapServers,
        [
            .. ApplicableConsumerDefaults
                .Where(d => Properties.Properties.All(p => p.Key != d.Key))
                .Select(d => new KafkaProperty(d.Key, d.Value)),
            .. Properties.Properties,
        ]);
}

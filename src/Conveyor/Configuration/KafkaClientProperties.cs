using Confluent.Kafka;
using Conveyor.Native;

namespace Conveyor.Configuration;

/// <summary>
/// The librdkafka properties of one Kafka connection: bootstrap servers plus any pass-through
/// properties. Immutable; <see cref="Validate"/> asks librdkafka itself about every property.
/// </summary>
public sealed class KafkaClientProperties
{
    private readonly IReadOnlyList<KafkaProperty> _properties;

    /// <summary>Creates the set; later properties override earlier ones with the same key.</summary>
    public KafkaClientProperties(string bootstrapServers, IEnumerable<KafkaProperty>? properties = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bootstrapServers);
        BootstrapServers = bootstrapServers;
        _properties = properties?.ToArray() ?? [];
    }

    /// <summary>
    /// The properties of a Confluent.Kafka configuration a user already has (a <see cref="ClientConfig"/>,
    /// <see cref="ConsumerConfig"/> or <see cref="ProducerConfig"/>), in the order it holds them; secret
    /// values stay masked wherever Conveyor shows them. Properties Conveyor sets itself
    /// (<c>group.id</c>, <c>enable.auto.commit</c>, <c>enable.auto.offset.store</c>) are refused when
    /// a processor is built: set <see cref="Processing.ProcessorOptions.GroupId"/> instead.
    /// </summary>
    /// <param name="config">The configuration; <c>bootstrap.servers</c> must be set.</param>
    /// <exception cref="ArgumentException"><c>bootstrap.servers</c> is missing, or it holds Confluent.Kafka's own <c>dotnet.*</c> properties, which configure a client Conveyor does not use.</exception>
    public static KafkaClientProperties From(ClientConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var properties = config.ToList();
        var dotnet = properties.Where(p => p.Key.StartsWith("dotnet.", StringComparison.Ordinal)).Select(p => p.Key).ToList();
        if (dotnet.Count > 0)
        {
            throw new ArgumentException($"{string.Join(", ", dotnet)} configure Confluent.Kafka's own clients, not Conveyor's: remove them from the configuration.", nameof(config));
        }

        var bootstrap = properties.LastOrDefault(p => p.Key == "bootstrap.servers").Value;
        if (string.IsNullOrWhiteSpace(bootstrap))
        {
            throw new ArgumentException("The configuration has no bootstrap.servers: set BootstrapServers to the brokers, host:port[,host:port...].", nameof(config));
        }

        return new KafkaClientProperties(bootstrap, properties.Where(p => p.Key != "bootstrap.servers").Select(p => new KafkaProperty(p.Key, p.Value)));
    }

    /// <summary>The <c>bootstrap.servers</c> list, <c>host:port[,host:port...]</c>.</summary>
    public string BootstrapServers { get; }

    /// <summary>The pass-through properties, in the order given.</summary>
    public IReadOnlyList<KafkaProperty> Properties => _properties;

    /// <summary>
    /// All properties as librdkafka takes them: the given defaults first, then bootstrap.servers,
    /// then the pass-through properties, so that what the user gave always wins.
    /// </summary>
    public Dictionary<string, string> ToDictionary(IEnumerable<KeyValuePair<string, string>>? defaults = null)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in defaults ?? [])
        {
            result[key] = value;
        }

        result["bootstrap.servers"] = BootstrapServers;
        foreach (var property in _properties)
        {
            result[property.Key] = property.Value;
        }

        return result;
    }

    /// <summary>
    /// Checks every pass-through property with librdkafka (unknown names, bad values) and reports
    /// all problems at once, each as <c>name=value: librdkafka's words</c>, secret values masked.
    /// </summary>
    /// <exception cref="KafkaConfigurationException">At least one property was rejected.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        var conf = LibrdkafkaNative.ConfNew();
        try
        {
            foreach (var property in _properties)
            {
                var error = LibrdkafkaNative.TrySet(conf, property.Key, property.Value);
                if (error is not null)
                {
                    problems.Add($"{property}: {SecretProperties.Redact(error, ToDictionary())}");
                }
            }
        }
        finally
        {
            LibrdkafkaNative.ConfDestroy(conf);
        }

        if (problems.Count > 0)
        {
            throw new KafkaConfigurationException(problems);
        }
    }

    /// <summary>The properties for display, secrets masked.</summary>
    public override string ToString() =>
        string.Join(", ", ToDictionary().Select(p => $"{p.Key}={SecretProperties.MaskIfSecret(p.Key, p.Value)}"));
}

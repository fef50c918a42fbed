using System.CommandLine;
using Conveyor.Cli.Kafka;
using Conveyor.Configuration;

namespace Conveyor.Cli.CommandLine;

/// <summary>The connection options every Kafka command takes: -b, -X, --topic and (for consumers) --group.</summary>
internal sealed class KafkaOptions
{
    public const string BootstrapEnvironmentVariable = "CONVEYOR_BOOTSTRAP_SERVERS";
    public const string DefaultTopic = "rust";
    public const string DefaultGroup = "my_consumer_group";

    public Option<string?> BootstrapServers { get; } = new("--bootstrap-servers", "-b")
    {
        Description = $"Kafka cluster to use, host:port[,host:port...] (default: ${BootstrapEnvironmentVariable})",
        HelpName = "servers",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(BootstrapEnvironmentVariable),
    };

    public Option<KafkaProperty[]> Properties { get; } = new("-X")
    {
        Description = "librdkafka client property, repeatable (e.g. -X security.protocol=SASL_SSL); secrets are never printed",
        HelpName = "key=value",
        Arity = ArgumentArity.ZeroOrMore,
        CustomParser = result => result.Tokens.Select(token =>
        {
            try
            {
                return KafkaProperty.Parse(token.Value);
            }
            catch (FormatException)
            {
                result.AddError($"-X '{token.Value}' is not a librdkafka property: expected key=value, e.g. -X security.protocol=SASL_SSL.");
                return default;
            }
        }).ToArray(),
    };

    public Option<string> Topic { get; } = new Option<string>("--topic", "-t")
    {
        Description = "Topic to use",
        DefaultValueFactory = _ => DefaultTopic,
    }.MustBe(topic => !string.IsNullOrWhiteSpace(topic), "a topic name, not empty");

    public Option<string> Group { get; } = new Option<string>("--group", "-g")
    {
        Description = "Consumer group id",
        DefaultValueFactory = _ => DefaultGroup,
    }.MustBe(group => !string.IsNullOrWhiteSpace(group), "a consumer group id, not empty"); // Kafka refuses an empty one

    /// <summary>Whether the topic is the tutorial's default (not given).</summary>
    public bool TopicDefaulted(CommandContext context) => context.Parsed.GetResult(Topic) is null or { Implicit: true };

    /// <summary>
    /// A line for the tutorial's commands saying which of the tutorial's defaults (topic, group)
    /// they use because none was given; null when every one was given.
    /// </summary>
    public string? DefaultsNote(CommandContext context, bool withGroup)
    {
        var used = new List<string>();
        if (TopicDefaulted(context))
        {
            used.Add($"topic '{DefaultTopic}' (--topic)");
        }

        if (withGroup && context.Parsed.GetResult(Group) is null or { Implicit: true })
        {
            used.Add($"group '{DefaultGroup}' (--group)");
        }

        return used.Count == 0 ? null : $"note: using the tutorial's default {string.Join(" and ", used)}; name your own to use another";
    }

    public void AddTo(Command command, bool withGroup)
    {
        command.Add(BootstrapServers);
        command.Add(Properties);
        command.Add(Topic);
        if (withGroup)
        {
            command.Add(Group);
        }
    }

    /// <summary>The connection given on the command line, or null when neither -b nor the environment names one.</summary>
    /// <exception cref="KafkaConfigurationException">librdkafka rejects a -X property.</exception>
    public ClientSettings? TryGetSettings(CommandContext context)
    {
        var servers = context.Get(BootstrapServers);
        if (string.IsNullOrWhiteSpace(servers))
        {
            return null;
        }

        return CreateSettings(context, servers);
    }

    /// <summary>The connection given on the command line; fails with a usage error when there is none.</summary>
    public ClientSettings GetSettings(CommandContext context) =>
        TryGetSettings(context) ?? throw new CommandFailedException(
            $"no Kafka cluster given: pass -b host:port or set {BootstrapEnvironmentVariable}. "
            + $"To start a local one: {CommandName.Of("broker")}",
            ExitCodes.Usage);

    /// <summary>Connection settings for the given servers with this command line's -X properties.</summary>
    public ClientSettings CreateSettings(CommandContext context, string servers)
    {
        var properties = new KafkaClientProperties(servers, context.Get(Properties) ?? []);
        Validate(properties);
        return new ClientSettings(properties);
    }

    /// <summary>
    /// <see cref="KafkaClientProperties.Validate"/>, with each problem named the way this command
    /// line takes the property: <c>-X name=value: librdkafka's words</c>.
    /// </summary>
    /// <exception cref="KafkaConfigurationException">librdkafka rejects a property.</exception>
    public static void Validate(KafkaClientProperties properties)
    {
        try
        {
            properties.Validate();
        }
        catch (KafkaConfigurationException e)
        {
            throw new KafkaConfigurationException([.. e.Problems.Select(p => $"-X {p}")]);
        }
    }
}

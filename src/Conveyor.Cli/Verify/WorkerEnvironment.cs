using System.Text.Json;
using Conveyor.Configuration;

namespace Conveyor.Cli.Verify;

/// <summary>
/// Hands the cluster's client properties from <c>conveyor verify</c> to its workers through an
/// environment variable rather than <c>-X</c> arguments, so that secrets (<c>sasl.password</c>, ...)
/// never appear in a process listing.
/// </summary>
internal static class WorkerEnvironment
{
    public const string PropertiesVariable = "CONVEYOR_WORKER_PROPERTIES";

    /// <summary>The environment a worker gets: the properties as one JSON object.</summary>
    public static Dictionary<string, string> For(IEnumerable<KafkaProperty> properties) => new()
    {
        [PropertiesVariable] = JsonSerializer.Serialize(properties.ToDictionary(p => p.Key, p => p.Value)),
    };

    /// <summary>The properties this worker was given; none when the variable is not set.</summary>
    /// <exception cref="FormatException">The variable is set but is not a JSON object of strings.</exception>
    public static IReadOnlyList<KafkaProperty> ReadProperties(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return [];
        }

        try
        {
            var values = JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [];
            return [.. values.Select(v => new KafkaProperty(v.Key, v.Value))];
        }
        catch (JsonException e)
        {
            throw new FormatException($"{PropertiesVariable} must be a JSON object of librdkafka properties: {e.Message}", e);
        }
    }
}

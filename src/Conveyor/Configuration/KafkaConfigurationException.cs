namespace Conveyor.Configuration;

/// <summary>
/// Kafka client settings were rejected. <see cref="Problems"/> lists every problem at once, each in
/// the words of the component that rejected it (librdkafka for client properties).
/// </summary>
public sealed class KafkaConfigurationException : ConveyorException
{
    /// <summary>Creates the exception from the list of problems found.</summary>
    internal KafkaConfigurationException(IReadOnlyList<string> problems)
        : base(Describe(problems))
    {
        Problems = problems;
    }

    /// <summary>Every problem found, one sentence each.</summary>
    public IReadOnlyList<string> Problems { get; }

    private static string Describe(IReadOnlyList<string> problems) =>
        problems.Count == 1
            ? $"Invalid Kafka configuration: {problems[0]}"
            : $"Invalid Kafka configuration ({problems.Count} problems):{Environment.NewLine}  "
              + string.Join(Environment.NewLine + "  ", problems);
}

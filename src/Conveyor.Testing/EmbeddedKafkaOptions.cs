namespace Conveyor.Testing;

/// <summary>How to start an <see cref="EmbeddedKafkaCluster"/>.</summary>
public sealed record EmbeddedKafkaOptions
{
    /// <summary>Number of brokers, 1 or more. Default 1.</summary>
    public int Brokers { get; init; } = 1;

    /// <summary>Topics to create at start, with their partition counts.</summary>
    public IReadOnlyList<TopicSpec> Topics { get; init; } = [];

    /// <summary>
    /// The group coordinator's first-join delay. Kafka's default is 3 s; the embedded broker uses 0
    /// so tests and demos form groups at once.
    /// </summary>
    public TimeSpan GroupInitialRebalanceDelay { get; init; } = TimeSpan.Zero;
}

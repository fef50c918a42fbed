using Confluent.Kafka;
using Conveyor.Diagnostics;
using Conveyor.Processing;

namespace Conveyor.AspNetCore.Dashboard.Model;

/// <summary>
/// One processor (or, for <c>conveyor dashboard</c>, one consumer group) as the pages show it.
/// What only a running processor knows (<see cref="Status"/>, <see cref="Activity"/>) is null when
/// the dashboard sees the group from Kafka alone.
/// </summary>
/// <param name="Name">The processor's name (the group's for a group seen from Kafka).</param>
/// <param name="GroupId">Its consumer group.</param>
/// <param name="Topics">The topics it reads.</param>
/// <param name="DeadLetterTopics">Where its failed messages go.</param>
/// <param name="Client">The cluster it reads from; secrets included, so never shown.</param>
/// <param name="Settings">Its effective processor settings, name and value, for the configuration page.</param>
/// <param name="KafkaSettings">Its librdkafka properties, secret values masked.</param>
internal sealed record ProcessorView(
    string Name,
    string GroupId,
    IReadOnlyList<string> Topics,
    IReadOnlyList<string> DeadLetterTopics,
    ClientConfig Client,
    IReadOnlyList<KeyValuePair<string, string>> Settings,
    IReadOnlyList<KeyValuePair<string, string>> KafkaSettings)
{
    public ProcessorStatus? Status { get; init; }

    public LastError? LastError { get; init; }

    public ActivitySnapshot? Activity { get; init; }

    /// <summary>Its fleet settings (status and control topics) when <c>Fleet</c> is on; null otherwise.</summary>
    public Conveyor.Fleet.FleetOptions? Fleet { get; init; }

    /// <summary>Masks secret property values in a text before it is shown.</summary>
    public Func<string, string> Redact { get; init; } = text => text;
}

/// <summary>A dead-letter topic and the cluster it is on.</summary>
internal sealed record DeadLetterTopic(string Topic, ClientConfig Client);

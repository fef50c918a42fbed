using System.Diagnostics;
using Confluent.Kafka;
using Conveyor.AspNetCore.Dashboard.Model;
using Conveyor.Cli.Kafka;
using Conveyor.Configuration;
using Conveyor.Diagnostics;
using Conveyor.Fleet;

namespace Conveyor.Cli.Dashboard;

/// <summary>
/// What <c>conveyor dashboard</c> shows from Kafka alone: each group given with --group (its lag on
/// its topics), and every dead-letter topic (<c>*.dlq</c>) of the cluster. A running processor's own
/// state (in-flight, retries, stopped partitions) is only known to the app that hosts it.
/// </summary>
internal sealed class KafkaDashboardSource : IDashboardSource, IDisposable
{
    public const string DeadLetterSuffix = ".dlq";

    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan KeepTopicsFor = TimeSpan.FromSeconds(5);

    private readonly ClientSettings _settings;
    private readonly IReadOnlyList<(string Group, IReadOnlyList<string> Topics)> _groups;
    private readonly FleetOptions? _fleet;
    private readonly IAdminClient _admin;
    private readonly Lock _lock = new();
    private (long At, IReadOnlyList<DeadLetterTopic> Topics)? _deadLetterTopics; // At: a monotonic timestamp

    /// <param name="settings">The cluster (-b, -X).</param>
    /// <param name="groups">Each group with the topics to show its lag on.</param>
    /// <param name="fleet">The fleet's status (and control) topic for the fleet page; null for none.</param>
    public KafkaDashboardSource(ClientSettings settings, IReadOnlyList<(string Group, IReadOnlyList<string> Topics)> groups, FleetOptions? fleet = null)
    {
        _settings = settings;
        _groups = groups;
        _fleet = fleet;
        _admin = new AdminClientBuilder(settings.Admin()).WithoutLogLines().Build();
    }

    public string Title => $"Conveyor · {_settings.BootstrapServers}";

    public IReadOnlyList<ProcessorView> Processors() =>
        [.. _groups.Select(g => new ProcessorView(
            g.Group,
            g.Group,
            g.Topics,
            [.. g.Topics.Select(t => t + DeadLetterSuffix)],
            _settings.Admin(),
            [],
            [
                KeyValuePair.Create("bootstrap.servers", _settings.BootstrapServers),
                .. _settings.Properties.Properties.Select(p => KeyValuePair.Create(p.Key, SecretProperties.MaskIfSecret(p.Key, p.Value))),
            ])
        {
            Redact = Redact,
            Fleet = _fleet,
        })];

    public IReadOnlyList<DeadLetterTopic> DeadLetterTopics()
    {
        lock (_lock)
        {
            if (_deadLetterTopics is { } known && Stopwatch.GetElapsedTime(known.At) < KeepTopicsFor)
            {
                return known.Topics;
            }

            IReadOnlyList<DeadLetterTopic> topics = [.. _admin.GetMetadata(MetadataTimeout).Topics
                .Where(t => !t.Error.IsError && t.Topic.EndsWith(DeadLetterSuffix, StringComparison.Ordinal))
                .Select(t => t.Topic)
                .Order(StringComparer.Ordinal)
                .Select(t => new DeadLetterTopic(t, _settings.Admin()))];
            _deadLetterTopics = (Stopwatch.GetTimestamp(), topics);
            return topics;
        }
    }

    public void Dispose() => _admin.Dispose();

    private string Redact(string text) =>
        SecretProperties.Redact(text, _settings.Properties.Properties.Select(p => KeyValuePair.Create(p.Key, p.Value)));
}

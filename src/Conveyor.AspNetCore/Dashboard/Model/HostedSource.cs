using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Hosting;
using Conveyor.Processing;

namespace Conveyor.AspNetCore.Dashboard.Model;

/// <summary>The processors hosted in this application (<c>AddConveyorProcessor</c>).</summary>
internal sealed class HostedSource(IEnumerable<IHostedProcessor> processors) : IDashboardSource
{
    public string Title => "Conveyor";

    public IReadOnlyList<ProcessorView> Processors() => [.. processors.Select(View)];

    public IReadOnlyList<DeadLetterTopic> DeadLetterTopics() =>
        [.. Processors().SelectMany(p => p.DeadLetterTopics.Select(t => new DeadLetterTopic(t, p.Client))).DistinctBy(t => t.Topic)];

    private static ProcessorView View(IHostedProcessor processor)
    {
        var settings = processor.Settings;
        var options = settings.Processor;
        var status = processor.Status;
        return new ProcessorView(
            processor.Name,
            options.GroupId,
            options.Topics,
            [.. options.Topics.Select(options.DeadLetterTopicFor).Distinct()],
            new ClientConfig(new Dictionary<string, string>(settings.Kafka)),
            ProcessorOptionsDescription.Describe(options, settings.Kind),
            [.. settings.Kafka.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, SecretProperties.MaskIfSecret(p.Key, p.Value)))])
        {
            Status = status,
            LastError = status.LastError,
            Activity = status.Activity,
            Fleet = options.Fleet.Enabled ? options.Fleet : null,
            Redact = processor.Redact,
        };
    }
}

using System.Globalization;
using System.Reflection;
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
            Describe(options, skip: Unused(settings.Kind)),
            [.. settings.Kafka.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, SecretProperties.MaskIfSecret(p.Key, p.Value)))])
        {
            Status = status.Failure is { } failure ? status with { Failure = processor.Redact(failure) } : status,
            LastError = processor.LastError,
            Activity = processor.Activity.Snapshot(),
            Redact = processor.Redact,
        };
    }

    /// <summary>The settings sections this kind of processor does not use, left off its configuration page.</summary>
    internal static IReadOnlyList<string> Unused(HostedKind kind) => kind switch
    {
        HostedKind.Batch => [nameof(ProcessorOptions.Forwarding)],
        HostedKind.Forwarder => [nameof(ProcessorOptions.Batch)],
        _ => [nameof(ProcessorOptions.Batch), nameof(ProcessorOptions.Forwarding)],
    };

    /// <summary>
    /// Every public property of the options but <paramref name="skip"/>, nested settings (any of
    /// Conveyor's settings classes) flattened as <c>Retry.MaxAttempts</c>.
    /// </summary>
    internal static IReadOnlyList<KeyValuePair<string, string>> Describe(object options, string prefix = "", IReadOnlyList<string>? skip = null)
    {
        var rows = new List<KeyValuePair<string, string>>();
        foreach (var property in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            if (property.GetIndexParameters().Length > 0 || property.Name == "EqualityContract" || skip?.Contains(property.Name) == true)
            {
                continue;
            }

            var value = property.GetValue(options);
            var name = prefix + property.Name;
            switch (value)
            {
                case null:
                    rows.Add(KeyValuePair.Create(name, "(not set)"));
                    break;
                case string text:
                    rows.Add(KeyValuePair.Create(name, text));
                    break;
                case Delegate:
                    rows.Add(KeyValuePair.Create(name, "(set in code)"));
                    break;
                case IEnumerable<string> items:
                    rows.Add(KeyValuePair.Create(name, string.Join(", ", items)));
                    break;
                case IEnumerable<TimeSpan> spans:
                    rows.Add(KeyValuePair.Create(name, string.Join(", ", spans.Select(t => t.ToString(null, CultureInfo.InvariantCulture)))));
                    break;
                case var nested when ProcessorSettingsBinder.IsNestedOptions(nested.GetType()):
                    rows.AddRange(Describe(value, name + "."));
                    break;
                case IFormattable formattable:
                    rows.Add(KeyValuePair.Create(name, formattable.ToString(null, CultureInfo.InvariantCulture)));
                    break;
                default:
                    rows.Add(KeyValuePair.Create(name, value.ToString() ?? ""));
                    break;
            }
        }

        return rows;
    }
}

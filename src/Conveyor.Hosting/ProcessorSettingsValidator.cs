using Conveyor.Configuration;
using Conveyor.Processing;
using Microsoft.Extensions.Options;

namespace Conveyor.Hosting;

/// <summary>
/// Checks one named processor's settings when the host starts (<c>ValidateOnStart</c>), before
/// anything connects, and reports every problem at once: values that could not be bound,
/// and <see cref="ProcessorValidation"/>, the check a processor's builder makes (options, what this kind of
/// processor can do, engine-owned and librdkafka-checked client properties, named by the <c>Kafka</c> section), and then (when all that passed) whether librdkafka creates the clients (<see cref="ClientCreationCheck"/>).
/// </summary>
internal sealed class ProcessorSettingsValidator(string name, string? sectionPath, ProcessorKind kind) : IValidateOptions<ProcessorSettings>
{
    public ValidateOptionsResult Validate(string? name1, ProcessorSettings options)
    {
        if (name1 != name)
        {
            return ValidateOptionsResult.Skip;
        }

        var problems = new List<string>(options.BindingProblems);
        if (!options.Kafka.TryGetValue(ProcessorSettings.BootstrapServersKey, out var bootstrap) || string.IsNullOrWhiteSpace(bootstrap))
        {
            problems.Add($"{ProcessorSettingsBinder.KafkaSection}:{ProcessorSettings.BootstrapServersKey} is missing: the brokers to connect to, host:port[,host:port...].");
        }

        var client = new KafkaClientProperties(string.IsNullOrWhiteSpace(bootstrap) ? "unset:9092" : bootstrap, options.Kafka
            .Where(p => p.Key != ProcessorSettings.BootstrapServersKey)
            .Select(p => new KafkaProperty(p.Key, p.Value)));
        problems.AddRange(ProcessorValidation.Problems(client, options.Processor, kind, ProcessorSettingsBinder.KafkaSection));
        if (problems.Count == 0 && ClientCreationCheck.Problem(client, options.Processor) is { } refused)
        {
            // Every property is valid on its own, yet librdkafka may refuse the combination.
            problems.Add($"{ProcessorSettingsBinder.KafkaSection}: {refused}");
        }

        var where = sectionPath is null ? $"Conveyor processor '{name}'" : $"Conveyor processor '{name}' (configuration section '{sectionPath}')";
        return problems.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(problems.Select(p => $"{where}: {p}"));
    }
}

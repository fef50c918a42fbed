using Conveyor.Configuration;
using Conveyor.Processing;
using Microsoft.Extensions.Options;

namespace Conveyor.Hosting;

/// <summary>
/// Checks one named processor's settings when the host starts (<c>ValidateOnStart</c>), before
/// anything connects, and reports every problem at once: values that could not be bound,
/// <see cref="ProcessorOptions.Validate"/>, a guarantee this kind of processor cannot give, each librdkafka property as librdkafka sees it,
/// and then (when all that passed) whether librdkafka creates the clients (<see cref="ClientCreationCheck"/>).
/// </summary>
internal sealed class ProcessorSettingsValidator(string name, string? sectionPath, bool transactional = false) : IValidateOptions<ProcessorSettings>
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

        // The same rule as without hosting (ProcessorSetup.Validate), named by the section.
        problems.AddRange(Processing.Engine.ConsumerSettings.EngineOwnedProblems(options.Kafka.Keys, key => $"{ProcessorSettingsBinder.KafkaSection}:{key}"));

        problems.AddRange(options.Processor.Validate());
        if (ProcessorSetup.GuaranteeProblem(options.Processor, transactional) is { } guarantee)
        {
            problems.Add(guarantee);
        }
        var client = new KafkaClientProperties(string.IsNullOrWhiteSpace(bootstrap) ? "unset:9092" : bootstrap, options.Kafka
            .Where(p => p.Key != ProcessorSettings.BootstrapServersKey)
            .Select(p => new KafkaProperty(p.Key, p.Value)));
        try
        {
            client.Validate();
            if (problems.Count == 0 && ClientCreationCheck.Problem(client, options.Processor) is { } refused)
            {
                // Every property is valid on its own, yet librdkafka may refuse the combination.
                problems.Add($"{ProcessorSettingsBinder.KafkaSection}: {refused}");
            }
        }
        catch (KafkaConfigurationException e)
        {
            // name=value: librdkafka's words, secrets masked; named by the section they were read from.
            problems.AddRange(e.Problems.Select(p => $"{ProcessorSettingsBinder.KafkaSection}: {p}"));
        }

        var where = sectionPath is null ? $"Conveyor processor '{name}'" : $"Conveyor processor '{name}' (configuration section '{sectionPath}')";
        return problems.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(problems.Select(p => $"{where}: {p}"));
    }
}

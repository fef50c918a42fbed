using System.ComponentModel;
using System.Globalization;
using Conveyor.Processing;
using Conveyor.Processing.RetryTopics;
using Microsoft.Extensions.Configuration;

namespace Conveyor.Hosting;

/// <summary>
/// Binds a configuration section to <see cref="ProcessorSettings"/> without stopping at the first
/// bad value: every value is checked first (unknown names, values of the wrong type, an ordering
/// mode that does not exist), the good ones are then bound with the standard configuration binder,
/// and the bad ones are kept as problems for the validator to report together with the rest.
/// </summary>
internal static class ProcessorSettingsBinder
{
    public const string KafkaSection = "Kafka";

    public static void Bind(IConfiguration section, ProcessorSettings settings)
    {
        var good = new List<KeyValuePair<string, string?>>();
        foreach (var child in section.GetChildren())
        {
            if (string.Equals(child.Key, KafkaSection, StringComparison.OrdinalIgnoreCase))
            {
                BindKafka(child, settings);
            }
            else
            {
                Check(child, typeof(ProcessorOptions), child.Key, settings.BindingProblems, good);
            }
        }

        var filtered = new ConfigurationBuilder().AddInMemoryCollection(good).Build();
        var options = settings.Processor with { };

        // The binder adds configured items to a list that already holds some (here the default
        // delays) instead of replacing them: configured delays start from an empty list.
        if (filtered.GetSection($"{nameof(ProcessorOptions.RetryTopics)}:{nameof(RetryTopicOptions.Delays)}").GetChildren().Any())
        {
            options = options with { RetryTopics = options.RetryTopics with { Delays = [] } };
        }

        filtered.Bind(options);
        settings.Processor = options;
    }

    private static void BindKafka(IConfigurationSection kafka, ProcessorSettings settings)
    {
        foreach (var property in kafka.GetChildren())
        {
            if (property.Value is null)
            {
                settings.BindingProblems.Add($"{KafkaSection}:{property.Key} must be a single value: librdkafka properties are flat (e.g. \"security.protocol\": \"SASL_SSL\").");
            }
            else
            {
                settings.Kafka[property.Key] = property.Value;
            }
        }
    }

    private static void Check(IConfigurationSection child, Type owner, string path, List<string> problems, List<KeyValuePair<string, string?>> good)
    {
        var settings = ProcessorOptionsDescription.Settings(owner);
        var property = settings.FirstOrDefault(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase));
        if (property is null)
        {
            var known = settings.Select(p => p.Name);
            if (owner == typeof(ProcessorOptions))
            {
                known = known.Append(KafkaSection);
            }

            problems.Add($"{path} is not a setting; known settings here: {string.Join(", ", known)}.");
            return;
        }

        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (ProcessorOptionsDescription.IsSection(type))
        {
            foreach (var nested in child.GetChildren())
            {
                Check(nested, type, $"{path}:{nested.Key}", problems, good);
            }

            return;
        }

        if (type == typeof(IReadOnlyList<string>))
        {
            // A list, or one value for a single topic.
            good.AddRange(child.Value is { } single
                ? [new($"{path}:0", single)]
                : child.GetChildren().Select(item => new KeyValuePair<string, string?>($"{path}:{item.Key}", item.Value)));
            return;
        }

        if (type == typeof(IReadOnlyList<TimeSpan>))
        {
            // A list, or one value for a single item; each item checked as a time span.
            if (child.Value is { } single)
            {
                CheckValue(typeof(TimeSpan), $"{path}:0", single, problems, good);
                return;
            }

            foreach (var item in child.GetChildren())
            {
                if (item.Value is { } itemValue)
                {
                    CheckValue(typeof(TimeSpan), $"{path}:{item.Key}", itemValue, problems, good);
                }
                else
                {
                    problems.Add($"{path}:{item.Key} must be a single value, not a section.");
                }
            }

            return;
        }

        if (typeof(Delegate).IsAssignableFrom(type) || type.IsInterface)
        {
            problems.Add($"{path} can only be set in code.");
            return;
        }

        if (child.Value is not { } value)
        {
            problems.Add($"{path} must be a single value, not a section.");
            return;
        }

        CheckValue(type, path, value, problems, good);
    }

    private static void CheckValue(Type type, string path, string value, List<string> problems, List<KeyValuePair<string, string?>> good)
    {
        if (Problem(type, value) is { } problem)
        {
            problems.Add($"{path}: '{value}' {problem}");
            return;
        }

        good.Add(new(path, value));
    }

    private static string? Problem(Type type, string value)
    {
        if (type.IsEnum)
        {
            var names = Enum.GetNames(type);
            return names.Contains(value.Trim(), StringComparer.OrdinalIgnoreCase) ? null : $"is not one of {string.Join(", ", names)}.";
        }

        if (type == typeof(string))
        {
            return null;
        }

        try
        {
            TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException || e.InnerException is FormatException or OverflowException)
        {
            return type == typeof(TimeSpan)
                ? "is not a time span (e.g. 00:00:05 for 5 seconds)."
                : $"is not a valid {Describe(type)}.";
        }
    }

    private static string Describe(Type type) => type switch
    {
        _ when type == typeof(int) => string.Create(CultureInfo.InvariantCulture, $"whole number ({int.MinValue} to {int.MaxValue})"),
        _ when type == typeof(long) => "whole number",
        _ when type == typeof(bool) => "true or false",
        _ => type.Name,
    };
}

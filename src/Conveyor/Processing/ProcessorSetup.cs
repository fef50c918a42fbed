using Conveyor.Configuration;
using Conveyor.Diagnostics;

namespace Conveyor.Processing;

/// <summary>
/// What the three entry points (<see cref="KafkaProcessor{TKey, TValue}"/>,
/// <see cref="Forwarding.KafkaForwarder{TKey, TValue}"/>, <see cref="Batching.KafkaBatchProcessor{TKey, TValue}"/>)
/// do alike in their constructors: one validation of the options and the client properties, every
/// problem at once, and one events layer (status, metrics, traces, masking) in front of the user's observer.
/// </summary>
internal static class ProcessorSetup
{
    /// <summary>Throws a <see cref="KafkaConfigurationException"/> listing every problem with the options and the client properties.</summary>
    /// <param name="client">The client properties, checked by librdkafka.</param>
    /// <param name="options">The options.</param>
    /// <param name="transactional">Whether this entry point writes outputs in transactions (a forwarder): only then is exactly-once possible.</param>
    public static void Validate(KafkaClientProperties client, ProcessorOptions options, bool transactional)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate().ToList();
        problems.AddRange(Engine.ConsumerSettings.EngineOwnedProblems(client.Properties.Select(p => p.Key), key => $"The client property {key}"));
        if (GuaranteeProblem(options, transactional) is { } problem)
        {
            problems.Add(problem);
        }

        try
        {
            client.Validate();
        }
        catch (KafkaConfigurationException e)
        {
            problems.AddRange(e.Problems);
        }

        if (problems.Count > 0)
        {
            throw new KafkaConfigurationException(problems);
        }
    }

    /// <summary>What is wrong with the guarantee for this kind of entry point, if anything: only a forwarder can be exactly-once.</summary>
    public static string? GuaranteeProblem(ProcessorOptions options, bool transactional) =>
        options.Guarantee == DeliveryGuarantee.ExactlyOnce && !transactional
            ? "Guarantee ExactlyOnce needs outputs to commit with the offsets: use a KafkaForwarder."
            : null;

    /// <summary>The events layer every event, error and client log line passes through before it reaches <paramref name="observer"/>.</summary>
    /// <remarks>
    /// With <see cref="ProcessorOptions.LoggerFactory"/>, a <see cref="LoggingObserver"/> between the
    /// two logs what the hosting package logs (categories <see cref="LogCategory"/> and
    /// <see cref="ClientLogCategory"/>), the processor named by its group.
    /// </remarks>
    public static Engine.IEngineEvents Telemetry(KafkaClientProperties client, ProcessorOptions options, IProcessorObserver? observer)
    {
        var properties = client.ToDictionary();
        string Redact(string text) => SecretProperties.Redact(text, properties);
        if (options.LoggerFactory is not { } loggers)
        {
            return new ProcessorEvents(observer, options.GroupId, Redact);
        }

        var log = new LoggingObserver(loggers.CreateLogger(LogCategory), loggers.CreateLogger(ClientLogCategory), options.GroupId, observer);
        return new ProcessorEvents(log, options.GroupId, Redact) { Started = () => log.Starting(options), Ended = log.Stopped };
    }

    /// <summary>The category of a processor's own log lines without hosting.</summary>
    public const string LogCategory = "Conveyor.Processor";

    /// <summary>The category of librdkafka's log lines.</summary>
    public const string ClientLogCategory = "Conveyor.Librdkafka";
}

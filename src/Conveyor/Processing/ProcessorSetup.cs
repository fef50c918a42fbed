using Conveyor.Configuration;
using Conveyor.Diagnostics;

namespace Conveyor.Processing;

/// <summary>
/// The events layer (status, metrics, traces, masking) every processor puts in front of the user's observer, made once by
/// <see cref="KafkaProcessorBuilder{TKey, TValue}"/> for whichever kind it builds.
/// </summary>
internal static class ProcessorSetup
{
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

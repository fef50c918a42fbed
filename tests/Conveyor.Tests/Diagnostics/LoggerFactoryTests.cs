using System.Collections.Concurrent;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Processing;
using Microsoft.Extensions.Logging;

namespace Conveyor.Tests.Diagnostics;

/// <summary>A library user without hosting gets the hosting package's logs through ProcessorOptions.LoggerFactory.</summary>
public class LoggerFactoryTests
{
    [Fact]
    public void A_processor_given_a_logger_factory_logs_its_events_and_client_lines_with_the_hosting_event_ids_and_secrets_masked()
    {
        var lines = new ConcurrentQueue<(string Category, LogLevel Level, int Id, string Message)>();
        using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new Collecting(lines)));
        var options = new ProcessorOptions { GroupId = "orders-service", Topics = ["orders"], LoggerFactory = loggers };
        var client = new KafkaClientProperties("localhost:9092", [KafkaProperty.Parse("sasl.password=hunter2-secret")]);
        var heard = new List<Error>();
        var telemetry = ProcessorSetup.Telemetry(client, options, new Errors(heard));

        telemetry.RunStarted();
        telemetry.OnPartitionsAssigned([new TopicPartition("orders", 0)]);
        telemetry.OnError(new Error(ErrorCode.Local_Authentication, "SASL authentication failed for hunter2-secret"));
        telemetry.ClientLog(new LogMessage("rdkafka#consumer-1", SyslogLevel.Warning, "CONF", "sasl.password = hunter2-secret"));
        telemetry.RunEnded(failure: null);

        Assert.Equal(
            [
                (ProcessorSetup.LogCategory, 1000),
                (ProcessorSetup.LogCategory, 1010),
                (ProcessorSetup.LogCategory, 1050),
                (ProcessorSetup.ClientLogCategory, 1052),
                (ProcessorSetup.LogCategory, 1001),
            ],
            lines.Select(l => (l.Category, l.Id)));
        Assert.All(lines, l => Assert.DoesNotContain("hunter2-secret", l.Message, StringComparison.Ordinal));

        // The positive control: the lines that carried the secret were logged, with the mask in its place.
        Assert.Equal($"librdkafka rdkafka#consumer-1 CONF: sasl.password = {SecretProperties.Mask}", lines.Single(l => l.Id == 1052).Message);
        Assert.Contains(lines, l => l.Id == 1050 && l.Message.Contains($"SASL authentication failed for {SecretProperties.Mask}", StringComparison.Ordinal));
        Assert.Contains("Processor orders-service: partitions assigned: orders[0]", lines.Select(l => l.Message));
        Assert.Equal(LogLevel.Warning, lines.Single(l => l.Id == 1052).Level);
        Assert.Single(heard); // and the user's observer still hears every event
    }

    [Fact]
    public void Without_a_logger_factory_nothing_is_logged_and_the_observer_hears_everything()
    {
        var heard = new List<Error>();
        var telemetry = ProcessorSetup.Telemetry(new KafkaClientProperties("localhost:9092"), new ProcessorOptions { GroupId = "g", Topics = ["t"] }, new Errors(heard));

        telemetry.OnError(new Error(ErrorCode.Local_Fail, "x"));

        Assert.Single(heard);
    }

    private sealed class Errors(List<Error> heard) : IProcessorObserver
    {
        public void OnError(Error error) => heard.Add(error);
    }

    private sealed class Collecting(ConcurrentQueue<(string, LogLevel, int, string)> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, int, string)> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue((category, logLevel, eventId.Id, formatter(state, exception)));
        }
    }
}

using Confluent.Kafka;
using Conveyor.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Conveyor.Tests.Diagnostics;

/// <summary>The library's logs when the broker goes away: no flood, the state said once, one line when it is back.</summary>
public class RepeatedClientErrorLogTests
{
    private const string Refused = "127.0.0.1:40123/1: Connect to ipv4#127.0.0.1:40123 failed: Connection refused (after 0ms in state CONNECT)";

    [Fact]
    public void A_lost_broker_logs_its_error_once_then_a_count_and_one_line_when_the_client_works_again()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 6, 14, 0, 0, TimeSpan.Zero));
        var log = new ListLogger();
        var observer = new LoggingObserver(log, log, "orders", next: null, clock);
        observer.OnPartitionsAssigned([new TopicPartition("orders", 0)]);

        observer.OnError(new Error(ErrorCode.Local_AllBrokersDown, "1/1 brokers are down"));
        for (var i = 0; i < 900; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(45));
            observer.OnError(new Error(ErrorCode.Local_Transport, Refused));
            observer.OnClientLog(new LogMessage("rdkafka#consumer-1", SyslogLevel.Error, "FAIL", Refused));
        }

        observer.OnError(new Error(ErrorCode.Local_AllBrokersDown, "1/1 brokers are down"));
        observer.OnCommitted([new TopicPartitionOffset("orders", 0, 5)]);

        Assert.Equal(
        string.Join(Environment.NewLine, (string[])[
            "1010",
            "1060 Processor orders lost the cluster: every broker is down (1/1 brokers are down); it keeps trying and says so when the cluster answers",
            "1050 Processor orders: Kafka client error Local_AllBrokersDown: 1/1 brokers are down",
            "1050 Processor orders: Kafka client error Local_Transport: " + Refused,
            "1050 Processor orders: Kafka client error Local_Transport: " + Refused + " (repeated 1334 times in the last 30 s)",
            "1050 Processor orders: Kafka client error Local_AllBrokersDown: 1/1 brokers are down (repeated 1 time in the last 41 s)",
            "1061 Processor orders: the client works again after 1802 errors since 14:00:00 UTC",
        ]),
        string.Join(Environment.NewLine, log.Lines.Select(l => l.StartsWith("1010", StringComparison.Ordinal) ? "1010" : l)));
    }

    private sealed class ListLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Lines.Add($"{eventId.Id} {formatter(state, exception)}");
            }
        }
    }
}

using System.Text;
using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Testing;

namespace Conveyor.Tests.Processing;

/// <summary>Users unit-test their handlers with messages made by Conveyor.Testing, no broker needed.</summary>
public class TestMessageTests
{
    [Fact]
    public async Task A_handler_runs_on_a_message_made_without_a_broker()
    {
        var headers = new Headers { { "trace", Encoding.UTF8.GetBytes("t-1") } };
        var at = new Timestamp(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), TimestampType.CreateTime);
        var message = TestMessage.Create("order-7", 42, topic: "orders", partition: 3, offset: 1_000, headers: headers, timestamp: at, attempt: 2);
        var seen = new List<string>();
        MessageHandler<string, int> handler = (m, _) =>
        {
            seen.Add($"{m.Topic}/{m.Partition}@{m.Offset} {m.Key}={m.Value} attempt {m.Attempt} trace {Encoding.UTF8.GetString(m.Headers.GetLastBytes("trace"))} at {m.Timestamp.UtcDateTime:O}");
            return ValueTask.CompletedTask;
        };

        await handler(message, CancellationToken.None);

        Assert.Equal(["orders/3@1000 order-7=42 attempt 2 trace t-1 at 2026-01-02T03:04:05.0000000Z"], seen);
    }

    [Fact]
    public void The_defaults_are_a_first_attempt_with_no_headers()
    {
        var message = TestMessage.Create<string?, string>(null, "v");

        Assert.Equal(("test", 0, 0L, 1), (message.Topic, message.Partition, message.Offset, message.Attempt));
        Assert.Null(message.Key);
        Assert.Empty(message.Headers);
        Assert.Equal(TimestampType.CreateTime, message.Timestamp.Type);
    }

    [Fact]
    public void Values_a_broker_never_gives_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TestMessage.Create("k", "v", attempt: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TestMessage.Create("k", "v", offset: -1));
        Assert.Throws<ArgumentException>(() => TestMessage.Create("k", "v", topic: " "));
    }
}

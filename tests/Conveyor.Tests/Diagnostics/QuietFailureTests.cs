using System.Collections.Concurrent;
using System.Text.Json;
using Confluent.Kafka;
using Conveyor.Diagnostics;
using Conveyor.Processing;
using Microsoft.Extensions.Logging;

namespace Conveyor.Tests.Diagnostics;

public class QuietFailureTests
{
    [Fact]
    public void A_dead_lettered_message_is_logged_in_one_line_without_its_stack_trace()
    {
        var entries = new ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)>();
        var observer = new LoggingObserver(new Recorder(entries), new Recorder(entries), "orders", next: null);
        MessageDeserializationException failure;
        try
        {
            JsonSerializer.Deserialize<int[]>("user-7"u8);
            throw new InvalidOperationException("not reached");
        }
        catch (JsonException e)
        {
            failure = new MessageDeserializationException("The value of orders[3]@5 could not be deserialized as Order: " + e.Message, e);
        }

        observer.OnDeadLettered(new TopicPartitionOffset("orders", 3, 5), new TopicPartitionOffset("orders.dlq", 3, 0), failure);

        var (level, message, exception) = Assert.Single(entries);
        Assert.Equal(LogLevel.Warning, level);
        Assert.Null(exception);
        Assert.StartsWith("Processor orders: orders[3]@5 failed for good and was dead-lettered to orders.dlq[3]@0: MessageDeserializationException: The value of orders[3]@5 could not be deserialized as Order: ", message, StringComparison.Ordinal);
        Assert.EndsWith("(its stack trace is in the dead letter)", message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void A_processor_status_prints_its_partitions_not_their_collection_types()
    {
        var status = new ProcessorStatus(ProcessorState.Running, null, [new TopicPartitionOffset("orders", 1, 42)], [new TopicPartition("orders", 0), new TopicPartition("orders", 1)], null)
        {
            BufferedMessages = new Dictionary<TopicPartition, int> { [new TopicPartition("orders", 0)] = 3 },
        };

        Assert.Equal(
            "ProcessorStatus { State = Running, LastPoll = null, AssignedPartitions = [orders[0], orders[1]], StoppedPartitions = [orders[1]@42], StalledPartitions = [], BufferedMessages = {orders[0]: 3}, CommittableOffsets = {}, Failure = null, Unavailable = null }",
            status.ToString());
    }

    private sealed class Recorder(ConcurrentQueue<(LogLevel, string, Exception?)> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue((logLevel, formatter(state, exception), exception));
    }
}

using Conveyor.Processing;
using static Conveyor.Tests.Processing.Engine.EngineHarness;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// A Confluent.Kafka version that hides the client's native handle leaves no way to commit with
/// metadata, so completions are not persisted. At-least-once and exactly-once under partition
/// ordering go on with a warning; exactly-once under key or unordered ordering would commit the
/// outputs of a message finished above an unfinished one twice after a crash, so it refuses to start.
/// </summary>
public sealed class HiddenNativeHandleTests
{
    [Theory]
    [InlineData(OrderingMode.Key)]
    [InlineData(OrderingMode.Unordered)]
    public async Task Exactly_once_under_key_or_unordered_ordering_refuses_to_start_when_the_native_handle_is_hidden(OrderingMode ordering)
    {
        await using var engine = new EngineHarness(ExactlyOnceDefaults() with { Ordering = ordering }, exactlyOnce: true) { HidesNativeHandle = true };
        var consumer = await engine.StartAsync();

        var stopped = await Assert.ThrowsAsync<ProcessorStoppedException>(() => engine.Running.WaitAsync(Patience));

        Assert.Equal(ProcessorStopReason.TransactionsUnavailable, stopped.Reason);
        Assert.Equal(
            $"Exactly-once with Ordering {ordering} needs persisted completions, but this Confluent.Kafka version hides the native client handle they are written through: use Ordering Partition, or the Confluent.Kafka version Conveyor is built against.",
            stopped.Message);
        Assert.Empty(consumer.Subscription); // refused before it joined the group
        Assert.True(consumer.Disposed);
    }

    [Fact]
    public async Task Exactly_once_under_partition_ordering_runs_on_with_a_warning_when_the_native_handle_is_hidden()
    {
        await using var engine = new EngineHarness(ExactlyOnceDefaults() with { CommitInterval = TimeSpan.FromMilliseconds(50) }, exactlyOnce: true) { HidesNativeHandle = true };
        var consumer = await engine.StartAsync();
        consumer.Append(P0, "a");
        await consumer.GroupAssigns(P0).Returned;
        await engine.Finished(P0, 0);
        await engine.Transactions!.WaitUntilAsync(t => t.CommittedOutputs.Contains(new Confluent.Kafka.TopicPartitionOffset(P0, 0)));
        await engine.StopAsync();

        Assert.Contains(engine.Observer.Events, e => e.Contains("hides the native client handle: completions are not persisted", StringComparison.Ordinal));
        Assert.Empty(engine.Transactions.Violations);
    }
}

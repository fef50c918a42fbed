using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Completions;
using static Conveyor.Tests.Processing.Engine.EngineHarness;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// Exactly-once under key ordering, where a message can finish above one still running: the
/// transaction holds its outputs, so its offsets carry it as finished (persisted completions), and
/// the partition's next assignment skips it rather than writing its outputs again.
/// </summary>
public sealed class ExactlyOnceCompletionsTests : IAsyncDisposable
{
    private readonly EngineHarness _engine = new(
        ExactlyOnceDefaults() with
        {
            Ordering = OrderingMode.Key,
            CommitInterval = TimeSpan.FromMilliseconds(50),
            Retry = new RetryOptions { InitialDelay = TimeSpan.FromMinutes(1), MaxDelay = TimeSpan.FromMinutes(1) },
        },
        exactlyOnce: true);

    private RecordingTransactionalProducer Transactions => _engine.Transactions!;

    public ValueTask DisposeAsync() => _engine.DisposeAsync();

    [Fact]
    public async Task A_transaction_carries_the_inputs_finished_above_an_unfinished_one_and_the_next_assignment_skips_them()
    {
        var consumer = await _engine.StartAsync();
        consumer.Append(P0, "a");
        consumer.Append(P0, "b");
        _engine.FailOnce(P0, 0); // waits a minute for its retry: unfinished, but not running (the gate lets the transaction commit)
        await consumer.GroupAssigns(P0).Returned;
        await Task.WhenAll(_engine.Started(P0, 0), _engine.Finished(P0, 1));
        await Transactions.WaitUntilAsync(t => t.CommittedOutputs.Contains(new TopicPartitionOffset(P0, 1)));

        // Committed at 0 (waiting for its retry), with 1 recorded as finished above it.
        var (offset, metadata, _) = ((IOffsetsWithMetadata)consumer).Committed([P0], Patience).Single();
        Assert.Equal(0, offset.Offset.Value);
        var finished = new List<long>();
        CompletionEncoding.Decode(metadata, 0, out _)!.AddAbove(0, finished);
        Assert.Equal([1L], finished);

        // The process's hold on P0 ends (as a crash or a loss would); its next owner reads the commit.
        await consumer.GroupLoses(P0).Returned;
        await consumer.GroupAssigns(P0).Returned;
        await _engine.Finished(P0, 0);
        await Transactions.WaitUntilAsync(t => t.CommittedOutputs.Contains(new TopicPartitionOffset(P0, 0)));
        await _engine.StopAsync();

        Assert.Empty(Transactions.Violations);
        Assert.Equal([new TopicPartitionOffset(P0, 0), new TopicPartitionOffset(P0, 1)], Transactions.CommittedOutputs.OrderBy(o => o.Offset.Value));
        Assert.Single(_engine.FinishOrder, f => f.Message == new TopicPartitionOffset(P0, 1)); // skipped by the next assignment
        Assert.Equal(2, consumer.CommittedOffset(P0));
    }
}

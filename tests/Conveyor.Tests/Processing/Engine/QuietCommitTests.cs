using Confluent.Kafka;
using Conveyor.Processing;
using static Conveyor.Tests.Processing.Engine.EngineHarness;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// A partition that went quiet (nothing received for <see cref="ProcessorOptions.IdleCommitDelay"/>,
/// every message finished) has what it finished committed without waiting for the interval
/// (10 minutes here), under each commit strategy.
/// </summary>
public sealed class QuietCommitTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task A_quiet_partition_is_committed_as_soon_as_its_last_running_message_finishes()
    {
        await using var engine = new EngineHarness(Defaults() with { IdleCommitDelay = Delay });
        var consumer = await engine.StartAsync();
        consumer.Append(P0, "a");
        consumer.Append(P0, "b");
        consumer.Append(P0, "c");
        engine.Hold(P0, 1);
        await consumer.GroupAssigns(P0).Returned;
        await Task.WhenAll(engine.Finished(P0, 0), engine.Finished(P0, 2));

        engine.Release(P0, 1);
        await consumer.WaitUntilAsync(() => consumer.CommittedOffset(P0) == 3);

        Assert.Equal([3L], CommittedOffsets(consumer, P0)); // none while a message ran, one once all were finished
    }

    [Fact]
    public async Task Asynchronous_commits_commit_a_quiet_partition_too()
    {
        await using var engine = new EngineHarness(Defaults() with { IdleCommitDelay = Delay, CommitMode = OffsetCommitMode.Asynchronous });
        var consumer = await engine.StartAsync();
        consumer.Append(P0, "a");
        consumer.Append(P0, "b");
        await consumer.GroupAssigns(P0).Returned;

        await consumer.WaitUntilAsync(() => consumer.CommittedOffset(P0) == 2);
    }

    [Fact]
    public async Task Exactly_once_commits_the_transaction_of_a_quiet_partition_whose_outputs_are_invisible_until_then()
    {
        await using var engine = new EngineHarness(ExactlyOnceDefaults() with { IdleCommitDelay = Delay }, exactlyOnce: true);
        var transactions = engine.Transactions!;
        var consumer = await engine.StartAsync();
        consumer.Append(P0, "a");
        consumer.Append(P0, "b");
        await consumer.GroupAssigns(P0).Returned;

        await transactions.WaitUntilAsync(t => t.Committed.Any(c => c.Offsets.Contains(new TopicPartitionOffset(P0, 2))));

        Assert.Empty(transactions.Violations);
        Assert.Equal(2, transactions.CommittedOutputs.Count);
    }

    private static List<long> CommittedOffsets(FakeConsumer consumer, TopicPartition partition) =>
        [.. consumer.Commits.Where(c => !c.Failed).SelectMany(c => c.Offsets).Where(o => o.Offset.TopicPartition == partition).Select(o => o.Offset.Offset.Value)];
}

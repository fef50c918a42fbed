using Confluent.Kafka;
using static Conveyor.Tests.Processing.Engine.EngineHarness;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// Exactly-once across rebalances, on the fake consumer with a recording transactional producer.
/// The rule every test checks: a committed transaction carries the offset of every input whose
/// outputs it holds (else the input's next owner writes them again: a duplicate downstream).
/// </summary>
public sealed class ExactlyOnceRebalanceTests : IAsyncLifetime
{
    private EngineHarness _engine = new(ExactlyOnceDefaults(), exactlyOnce: true);

    private RecordingTransactionalProducer Transactions => _engine.Transactions!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _engine.DisposeAsync();

    [Fact]
    public async Task Lost_partitions_outputs_are_aborted_never_committed_without_their_offsets()
    {
        var consumer = await StartWithAllFinished(inP0: 2, inP1: 1);

        await consumer.GroupLoses(P0).Returned;
        await _engine.StopAsync(); // commits what is finished in the partitions still owned

        Assert.Empty(Transactions.Violations);
        Assert.DoesNotContain(Transactions.CommittedOutputs, o => o.TopicPartition == P0);
        Assert.Contains("abort", Transactions.Calls);
        Assert.Contains($"lost {P0}", _engine.Observer.Events);
    }

    [Fact]
    public async Task After_a_loss_the_partitions_still_owned_are_rewound_and_every_input_is_committed_exactly_once()
    {
        var consumer = await StartWithAllFinished(inP0: 1, inP1: 2);

        await consumer.GroupLoses(P0).Returned;

        // P1's finished messages were in the aborted transaction: rewound, they run again.
        // Both are waited for: a message handed to a worker but not started when the stop drains
        // is declined (left unfinished), which would end the run before P1's commit covers it.
        await Transactions.WaitUntilAsync(t =>
            t.Calls.Count(c => c == $"write {new TopicPartitionOffset(P1, 0)}") == 2
            && t.Calls.Count(c => c == $"write {new TopicPartitionOffset(P1, 1)}") == 2);

        // The group gives P0 back (from its committed offset: none yet, so from the start).
        await consumer.GroupAssigns(P0).Returned;
        await Transactions.WaitUntilAsync(t => t.Calls.Count(c => c == $"write {new TopicPartitionOffset(P0, 0)}") == 2);
        await _engine.StopAsync();

        Assert.Empty(Transactions.Violations);
        TopicPartitionOffset[] inputs = [new(P0, 0), new(P1, 0), new(P1, 1)];
        Assert.Equal(inputs, Transactions.CommittedOutputs.Order(PositionOrder.Instance));
        Assert.Equal(1, consumer.CommittedOffset(P0));
        Assert.Equal(2, consumer.CommittedOffset(P1));
    }

    [Fact]
    public async Task A_handler_still_running_when_its_partition_is_lost_never_gets_its_outputs_committed()
    {
        var consumer = await StartWithP0sHandlerHeldPastTheRevokeTimeout();

        await consumer.GroupLoses(P0).Returned; // the held handler wrote nothing: the gate closes at once, the transaction aborts
        _engine.Release(P0, 0); // its partition is gone: it writes nothing
        await _engine.StopAsync(); // the stop waits for it to end

        Assert.Empty(Transactions.Violations);
        Assert.DoesNotContain($"write {new TopicPartitionOffset(P0, 0)}", Transactions.Calls);
        Assert.DoesNotContain(Transactions.CommittedOutputs, o => o.TopicPartition == P0);
        Assert.Contains("abort", Transactions.Calls);
    }

    [Fact]
    public async Task A_revoke_commits_the_revoked_partitions_offsets_in_the_transaction_that_holds_their_outputs()
    {
        var consumer = await StartWithAllFinished(inP0: 2, inP1: 1);

        await consumer.GroupRevokes(P0).Returned;

        Assert.Empty(Transactions.Violations);
        var (outputs, offsets) = Assert.Single(Transactions.Committed);
        Assert.Equal(3, outputs.Count);
        Assert.Contains(new TopicPartitionOffset(P0, 2), offsets);
        Assert.Contains(new TopicPartitionOffset(P1, 1), offsets);
        Assert.Equal(2, consumer.CommittedOffset(P0));
    }

    [Fact]
    public async Task A_revoke_whose_handler_does_not_finish_commits_up_to_it_and_never_commits_that_handlers_outputs()
    {
        var consumer = await StartWithP0sHandlerHeldPastTheRevokeTimeout();

        await consumer.GroupRevokes(P0).Returned;
        _engine.Release(P0, 0); // its partition is gone: it writes nothing
        await _engine.StopAsync(); // the stop waits for it to end

        Assert.Empty(Transactions.Violations);
        Assert.DoesNotContain($"write {new TopicPartitionOffset(P0, 0)}", Transactions.Calls);
        Assert.DoesNotContain(Transactions.CommittedOutputs, o => o.TopicPartition == P0);
        Assert.Equal(0, consumer.CommittedOffset(P0)); // the revoke's transaction stops before the unfinished message (it wrote nothing: no abort needed)
    }

    /// <summary>Orders positions by topic, partition, offset.</summary>
    internal sealed class PositionOrder : IComparer<TopicPartitionOffset>
    {
        public static readonly PositionOrder Instance = new();

        public int Compare(TopicPartitionOffset? x, TopicPartitionOffset? y) =>
            (x!.Topic, x.Partition.Value, x.Offset.Value).CompareTo((y!.Topic, y.Partition.Value, y.Offset.Value));
    }

    /// <summary>P0 and P1 assigned with this many messages each, every one finished (none committed yet).</summary>
    private async Task<FakeConsumer> StartWithAllFinished(int inP0, int inP1)
    {
        var consumer = await _engine.StartAsync();
        foreach (var (partition, count) in new[] { (P0, inP0), (P1, inP1) })
        {
            for (var i = 0; i < count; i++)
            {
                consumer.Append(partition, $"{partition.Partition.Value}-{i}");
            }
        }

        await consumer.GroupAssigns(P0, P1).Returned;
        await Task.WhenAll(_engine.Finished(P0, inP0 - 1), _engine.Finished(P1, inP1 - 1));
        return consumer;
    }

    /// <summary>A 200 ms revoke timeout; P0@0 started and held, P1@0 finished.</summary>
    private async Task<FakeConsumer> StartWithP0sHandlerHeldPastTheRevokeTimeout()
    {
        var options = ExactlyOnceDefaults() with { RevokeTimeout = TimeSpan.FromMilliseconds(200) };
        await _engine.DisposeAsync();
        _engine = new EngineHarness(options, exactlyOnce: true);
        var consumer = await _engine.StartAsync();
        consumer.Append(P0, "a");
        consumer.Append(P1, "b");
        _engine.Hold(P0, 0);
        await consumer.GroupAssigns(P0, P1).Returned;
        await Task.WhenAll(_engine.Started(P0, 0), _engine.Finished(P1, 0));
        return consumer;
    }
}

using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Transactions;
using static Conveyor.Tests.Processing.Engine.EngineHarness;
using static Conveyor.Tests.Processing.Engine.RecordingTransactionalProducer;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// Transaction errors by the kind librdkafka gives them, during begin, send offsets, commit and
/// abort: retriable ones are called again, abortable ones abort and rewind (the messages commit
/// once, in a later transaction), fatal ones stop the processor with the reason. Each transaction
/// commits after every finished message, so each test's first commit meets the injected error.
/// </summary>
public sealed class TransactionErrorTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private static readonly TopicPartitionOffset First = new(P0, 0);

    private readonly EngineHarness _engine = new(ExactlyOnceDefaults() with { CommitEveryMessages = 1 }, exactlyOnce: true);

    private RecordingTransactionalProducer Transactions => _engine.Transactions!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _engine.DisposeAsync();

    [Fact]
    public async Task A_retriable_send_offsets_error_is_called_again_and_the_transaction_commits_without_an_abort()
    {
        await RunOneMessage(() => Transactions.FailNext(TransactionCall.SendOffsets, Retriable()));

        Assert.Contains(Transactions.Calls, c => c.StartsWith("SendOffsets failed", StringComparison.Ordinal));
        Assert.DoesNotContain("abort", Transactions.Calls);
        AssertCommittedOnce();
    }

    [Fact]
    public async Task A_commit_that_times_out_twice_is_called_again_and_commits_without_an_abort()
    {
        await RunOneMessage(() => Transactions.FailNext(TransactionCall.Commit, Retriable(), Retriable()));

        Assert.Equal(2, Transactions.Calls.Count(c => c.StartsWith("Commit failed", StringComparison.Ordinal)));
        Assert.DoesNotContain("abort", Transactions.Calls);
        AssertCommittedOnce();
    }

    [Fact]
    public async Task A_commit_still_retriable_after_every_retry_aborts_and_the_message_commits_once_later()
    {
        var failures = Enumerable.Range(0, TransactionCoordinator.MaxRetries + 1).Select(_ => Retriable()).ToArray();
        await RunOneMessage(() => Transactions.FailNext(TransactionCall.Commit, failures), handledTimes: 2);

        Assert.Contains("abort", Transactions.Calls);
        AssertCommittedOnce();
    }

    [Theory]
    [InlineData(nameof(TransactionCall.SendOffsets))]
    [InlineData(nameof(TransactionCall.Commit))]
    public async Task An_abortable_error_aborts_rewinds_and_the_message_commits_once_in_the_next_transaction(string call)
    {
        await RunOneMessage(() => Transactions.FailNext(Enum.Parse<TransactionCall>(call), Abortable()), handledTimes: 2);

        Assert.Single(Transactions.Calls, "abort");
        AssertCommittedOnce();
    }

    [Fact]
    public async Task A_retriable_abort_is_called_again()
    {
        await RunOneMessage(() =>
        {
            Transactions.FailNext(TransactionCall.Commit, Abortable());
            Transactions.FailNext(TransactionCall.Abort, Retriable());
        }, handledTimes: 2);

        Assert.Contains(Transactions.Calls, c => c.StartsWith("Abort failed", StringComparison.Ordinal));
        AssertCommittedOnce();
    }

    [Theory]
    [InlineData(nameof(TransactionCall.SendOffsets))]
    [InlineData(nameof(TransactionCall.Commit))]
    public async Task A_fatal_error_stops_the_processor_with_its_reason_and_commits_nothing(string call)
    {
        var consumer = await _engine.StartAsync();
        Transactions.FailNext(Enum.Parse<TransactionCall>(call), Fatal());
        consumer.Append(P0, "a");
        await consumer.GroupAssigns(P0).Returned;

        var stopped = await Assert.ThrowsAsync<ProcessorStoppedException>(() => _engine.Running.WaitAsync(Patience));

        Assert.Equal(ProcessorStopReason.ClientFatal, stopped.Reason);
        Assert.Contains("fenced by a newer producer", stopped.Message, StringComparison.Ordinal);
        Assert.Empty(Transactions.Committed);
        Assert.DoesNotContain("abort", Transactions.Calls);
    }

    [Fact]
    public async Task A_begin_that_fails_after_an_abort_stops_the_processor_with_a_clear_reason()
    {
        var consumer = await _engine.StartAsync();
        Transactions.FailNext(TransactionCall.Commit, Abortable());
        Transactions.FailNext(TransactionCall.Begin, Fatal());
        consumer.Append(P0, "a");
        await consumer.GroupAssigns(P0).Returned;

        var stopped = await Assert.ThrowsAsync<ProcessorStoppedException>(() => _engine.Running.WaitAsync(Patience));

        Assert.Equal(ProcessorStopReason.ClientFatal, stopped.Reason);
        Assert.Contains("Could not begin a new transaction", stopped.Message, StringComparison.Ordinal);
        Assert.Empty(Transactions.Committed);
    }

    [Fact]
    public async Task A_loss_whose_abort_fails_fatally_stops_the_processor_and_commits_nothing_more()
    {
        await _engine.DisposeAsync();
        await using var engine = new EngineHarness(ExactlyOnceDefaults(), exactlyOnce: true);
        var consumer = await engine.StartAsync();
        consumer.Append(P0, "a");
        consumer.Append(P1, "b");
        await consumer.GroupAssigns(P0, P1).Returned;
        await Task.WhenAll(engine.Finished(P0, 0), engine.Finished(P1, 0));

        engine.Transactions!.FailNext(TransactionCall.Abort, Fatal());
        await consumer.GroupLoses(P0).Returned;

        var stopped = await Assert.ThrowsAsync<ProcessorStoppedException>(() => engine.Running.WaitAsync(Patience));

        Assert.Equal(ProcessorStopReason.ClientFatal, stopped.Reason);
        Assert.Contains("fenced by a newer producer", stopped.Message, StringComparison.Ordinal);
        Assert.Empty(engine.Transactions.Committed);
    }

    [Fact]
    public async Task A_send_offsets_call_that_never_returns_stops_the_processor_instead_of_hanging_it()
    {
        await _engine.DisposeAsync();
        await using var engine = new EngineHarness(ExactlyOnceDefaults() with { CommitEveryMessages = 1, TransactionTimeout = TimeSpan.FromMilliseconds(300) }, exactlyOnce: true);
        var consumer = await engine.StartAsync();
        engine.Transactions!.HangNext(TransactionCall.SendOffsets);
        try
        {
            consumer.Append(P0, "a");
            await consumer.GroupAssigns(P0).Returned;

            var stopped = await Assert.ThrowsAsync<ProcessorStoppedException>(() => engine.Running.WaitAsync(Patience));

            Assert.Equal(ProcessorStopReason.ClientFatal, stopped.Reason);
            Assert.Contains("SendOffsetsToTransaction did not return", stopped.Message, StringComparison.Ordinal);
            Assert.Empty(engine.Transactions.Committed);
        }
        finally
        {
            engine.Transactions.ReleaseHangs();
        }
    }

    /// <summary>
    /// A member whose session ended (a coordinator that moved) has no member id until its lost
    /// callback; a broker takes a transactional offset commit without member id and generation
    /// unfenced, so its transaction is aborted, and the message commits once the member is back.
    /// </summary>
    [Fact]
    public async Task A_member_without_a_member_id_aborts_its_transaction_instead_of_committing_unfenced_offsets()
    {
        var consumer = await _engine.StartAsync();
        consumer.SetMemberId(string.Empty);
        consumer.Append(P0, "a");
        await consumer.GroupAssigns(P0).Returned;
        await Transactions.WaitUntilAsync(t => t.Calls.Contains("abort"));

        Assert.Empty(Transactions.Committed);
        consumer.SetMemberId("fake-member-again");
        await Transactions.WaitUntilAsync(t => t.CommittedOutputs.Contains(First));
        await _engine.StopAsync();
        AssertCommittedOnce();
    }

    /// <summary>Starts, sets up the failures, hands one message over and waits until its outputs were committed (after <paramref name="handledTimes"/> runs); then stops.</summary>
    private async Task RunOneMessage(Action failures, int handledTimes = 1)
    {
        var consumer = await _engine.StartAsync();
        failures();
        consumer.Append(P0, "a");
        await consumer.GroupAssigns(P0).Returned;
        await Transactions.WaitUntilAsync(t => t.CommittedOutputs.Contains(First));
        await _engine.StopAsync();
        Assert.Equal(handledTimes, Transactions.Calls.Count(c => c == $"write {First}"));
    }

    private void AssertCommittedOnce()
    {
        Assert.Empty(Transactions.Violations);
        Assert.Equal([First], Transactions.CommittedOutputs);
        Assert.Equal(1, _engine.Consumer.CommittedOffset(P0));
    }
}

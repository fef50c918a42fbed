using Confluent.Kafka;
using Conveyor.Diagnostics;
using Conveyor.Processing;
using Conveyor.Processing.Engine;
using Conveyor.Processing.Forwarding;
using Conveyor.Processing.Transactions;
using Conveyor.Serialization;
using Conveyor.TestSupport;
using static Conveyor.Tests.Processing.Engine.EngineHarness;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// Exactly-once: a failed output write makes the transaction abortable, so it is aborted and every
/// owned partition read again. An output that fails for good (the same record would fail again)
/// counts as a failed attempt of its input, which reaches its failure action; a temporary failure
/// only runs the input again. Before, every failure was the second kind, and an output too large
/// for the broker aborted transaction after transaction without end.
/// </summary>
public sealed class PermanentOutputFailureTests
{
    private static readonly TopicPartitionOffset P0At0 = new(P0, 0);

    [Fact]
    public async Task An_output_that_fails_for_good_counts_as_a_failed_attempt_until_the_failure_action_stops_its_partition()
    {
        var options = ExactlyOnceDefaults() with
        {
            GroupId = $"permanent-output-{Guid.NewGuid():N}",
            CommitEveryMessages = 1,
            OnFailure = FailureAction.StopPartition,
            Retry = new RetryOptions { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(1) },
        };
        await using var engine = new EngineHarness(options, exactlyOnce: true) { WritesOutputs = true };
        var consumer = await engine.StartAsync();
        engine.Transactions!.Rejects = input => input.Equals(P0At0) ? new Error(ErrorCode.MsgSizeTooLarge, "Broker: Message size too large") : null;
        consumer.Append(P0, "a");
        consumer.Append(P1, "b");
        await consumer.GroupAssigns(P0, P1).Returned;

        var (stopped, reason) = await engine.Observer.FirstStop;

        // The other partition goes on: its next message's output commits after the stop.
        consumer.Append(P1, "c");
        await engine.Transactions.WaitUntilAsync(t => t.CommittedOutputs.Contains(new TopicPartitionOffset(P1, 1)));
        await engine.StopAsync();

        Assert.Equal(P0At0, stopped);
        var failure = Assert.IsType<OutputDeliveryException>(reason);
        Assert.Contains("MsgSizeTooLarge", failure.Message);
        Assert.Contains("'orders-out'", failure.Message);
        Assert.Equal([1, 2, 3], engine.AttemptsOf(P0, 0));
        Assert.Equal(3, engine.Transactions.Calls.Count(c => c == "abort"));
        Assert.DoesNotContain(P0At0, engine.Transactions.CommittedOutputs);
        Assert.Empty(engine.Transactions.Violations);
    }

    [Fact]
    public async Task An_output_that_times_out_aborts_the_transaction_and_runs_its_input_again_without_counting_an_attempt()
    {
        var options = ExactlyOnceDefaults() with
        {
            GroupId = $"transient-output-{Guid.NewGuid():N}",
            CommitEveryMessages = 1,
            OnFailure = FailureAction.StopPartition,
            Retry = new RetryOptions { MaxAttempts = 1 },
        };
        await using var engine = new EngineHarness(options, exactlyOnce: true) { WritesOutputs = true };
        var consumer = await engine.StartAsync();
        var timedOut = 0;
        engine.Transactions!.Rejects = input => input.Equals(P0At0) && Interlocked.Increment(ref timedOut) == 1
            ? new Error(ErrorCode.Local_MsgTimedOut, "Local: Message timed out")
            : null;
        consumer.Append(P0, "a");
        await consumer.GroupAssigns(P0).Returned;

        await engine.Transactions.WaitUntilAsync(t => t.CommittedOutputs.Contains(P0At0));
        await engine.StopAsync();

        // With one attempt allowed, a counted attempt would have stopped the partition instead.
        Assert.Equal([1, 1], engine.AttemptsOf(P0, 0));
        Assert.Contains("abort", engine.Transactions.Calls);
        Assert.DoesNotContain(engine.Observer.Events, e => e.StartsWith("stopped", StringComparison.Ordinal));
        Assert.Empty(engine.Transactions.Violations);
    }

    [Fact]
    public async Task A_message_that_failed_for_good_before_an_abort_is_dead_lettered_when_it_comes_again_and_only_once()
    {
        var calls = 0;
        var deadLetters = new RecordingDeadLetters();
        var executor = new MessageExecutor<byte[], byte[]>(
            new ProcessorOptions
            {
                Guarantee = DeliveryGuarantee.ExactlyOnce,
                OnFailure = FailureAction.DeadLetter,
                Retry = new RetryOptions { MaxAttempts = 2, InitialDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(1) },
            },
            (message, cancellationToken) =>
            {
                calls++;
                throw new OutputDeliveryException("outputs failed for good", [new Error(ErrorCode.MsgSizeTooLarge)]);
            },
            MessageDeserializer<byte[]>.Of((IDeserializer<byte[]>?)null),
            MessageDeserializer<byte[]>.Of((IDeserializer<byte[]>?)null),
            deadLetters,
            new ProcessorEvents(null, $"gave-up-{Guid.NewGuid():N}", text => text));
        var partition = new PartitionState(new TopicPartition($"gave-up-{Guid.NewGuid():N}", 0));

        // Each delivery comes after an abort's rewind: a fresh partition state with the failed attempts carried over.
        async Task<ExecutionOutcome> Deliver()
        {
            partition = new PartitionState(partition.TopicPartition, attempts: partition.Attempts);
            var item = WorkItems.Of(partition, 0, "k");
            var execution = await executor.ExecuteAsync(item, CancellationToken.None, CancellationToken.None);
            if (item.Attempts > 0)
            {
                partition.Attempts.Record(item.Offset, item.Attempts); // as the worker does
            }

            return execution.Outcome;
        }

        var outcomes = new[] { await Deliver(), await Deliver(), await Deliver(), await Deliver() };

        Assert.Equal([ExecutionOutcome.Abandoned, ExecutionOutcome.Abandoned, ExecutionOutcome.Finished, ExecutionOutcome.Finished], outcomes);
        Assert.Equal(2, calls);
        var written = Assert.Single(deadLetters.Written);
        Assert.Equal("output", written.Kind);
        Assert.Equal(2, written.Attempts);
        Assert.IsType<OutputDeliveryException>(written.Exception);
    }

    [Theory]
    [InlineData(ErrorCode.MsgSizeTooLarge, true)]
    [InlineData(ErrorCode.UnknownTopicOrPart, true)]
    [InlineData(ErrorCode.Local_UnknownTopic, true)]
    [InlineData(ErrorCode.Local_UnknownPartition, true)]
    [InlineData(ErrorCode.TopicAuthorizationFailed, true)]
    [InlineData(ErrorCode.RecordListTooLarge, true)]
    [InlineData(ErrorCode.InvalidRecord, true)]
    [InlineData(ErrorCode.Local_MsgTimedOut, false)]
    [InlineData(ErrorCode.RequestTimedOut, false)]
    [InlineData(ErrorCode.NotEnoughReplicas, false)]
    [InlineData(ErrorCode.LeaderNotAvailable, false)]
    [InlineData(ErrorCode.NotLeaderForPartition, false)]
    [InlineData(ErrorCode.Local_PurgeQueue, false)]
    [InlineData(ErrorCode.Local_State, false)]
    [InlineData(ErrorCode.InvalidProducerEpoch, false)]
    public void Only_errors_librdkafka_gives_up_on_at_once_count_against_the_input(ErrorCode code, bool permanent) =>
        Assert.Equal(permanent, PermanentOutputErrors.Contains(new Error(code)));

    [Fact]
    public void A_fatal_error_is_not_the_input_s_failure_but_the_producer_s() =>
        Assert.False(PermanentOutputErrors.Contains(new Error(ErrorCode.MsgSizeTooLarge, "fatal", isFatal: true)));

    private sealed class RecordingDeadLetters : IDeadLetterWriter
    {
        public List<FailureRecord> Written { get; } = [];

        public Task<TopicPartitionOffset> PublishAsync(ConsumeResult<byte[]?, byte[]?> source, FailureRecord failure, CancellationToken cancellationToken)
        {
            Written.Add(failure);
            return Task.FromResult(new TopicPartitionOffset($"{source.Topic}.dlq", 0, Written.Count - 1));
        }
    }
}

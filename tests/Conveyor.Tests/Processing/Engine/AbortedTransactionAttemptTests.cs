using Conveyor.Processing;
using static Conveyor.Tests.Processing.Engine.EngineHarness;
using static Conveyor.Tests.Processing.Engine.RecordingTransactionalProducer;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// Exactly-once: an aborted transaction rewinds every owned partition and reads its messages
/// again; a message's failed handler calls still count after that, so one that fails inside
/// transactions that keep aborting reaches its failure action instead of being retried without end.
/// </summary>
public sealed class AbortedTransactionAttemptTests
{
    [Fact]
    public async Task A_message_keeps_its_failed_attempts_across_an_aborted_transaction()
    {
        var options = ExactlyOnceDefaults() with
        {
            GroupId = "abort-attempts",
            CommitEveryMessages = 1,
            OnFailure = FailureAction.StopPartition,

            // A second of back-off: the abort below comes between the first and second attempt.
            Retry = new RetryOptions { MaxAttempts = 3, InitialDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(1) },
        };
        await using var engine = new EngineHarness(options, exactlyOnce: true);
        var consumer = await engine.StartAsync();
        engine.FailAlways(P0, 0);
        consumer.Append(P0, "a");
        await consumer.GroupAssigns(P0, P1).Returned;
        await engine.Attempted(P0, 0, 1);

        // The next commit (after P1's message finishes) is refused: the transaction aborts and
        // both partitions are rewound while P0's message waits out its back-off.
        engine.Transactions!.FailNext(TransactionCall.Commit, Abortable());
        consumer.Append(P1, "b");
        await engine.Transactions.WaitUntilAsync(t => t.Calls.Contains("abort"));
        await engine.Attempted(P0, 0, 3);
        await engine.StopAsync();

        Assert.Equal([1, 2, 3], engine.AttemptsOf(P0, 0));
        Assert.Empty(engine.Transactions.Violations);
    }
}

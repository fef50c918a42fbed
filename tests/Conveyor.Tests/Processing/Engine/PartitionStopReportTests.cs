using Confluent.Kafka;
using Conveyor.Processing;
using static Conveyor.Tests.Processing.Engine.EngineHarness;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// A partition stops once (<see cref="FailureAction.StopPartition"/>), so it is reported once. Under
/// key ordering another key's message can be in flight when the partition stops; when it then fails for
/// good too, it used to raise a second <see cref="IProcessorObserver.OnPartitionStopped"/> at its own
/// offset, although the commit stays at the first (the CLI printed two STOPPED lines and counted two
/// stopped partitions).
/// </summary>
public sealed class PartitionStopReportTests
{
    [Fact]
    public async Task A_message_in_flight_that_fails_for_good_after_its_partition_stopped_does_not_report_a_second_stop()
    {
        var options = Defaults() with
        {
            GroupId = $"stop-report-{Guid.NewGuid():N}",
            Ordering = OrderingMode.Key,
            OnFailure = FailureAction.StopPartition,
            Retry = new RetryOptions { MaxAttempts = 1 },
        };
        await using var engine = new EngineHarness(options);
        var consumer = await engine.StartAsync();
        consumer.Append(P0, "a");
        consumer.Append(P0, "b");
        engine.FailAlways(P0, 0);
        engine.FailAlways(P0, 1);
        engine.Hold(P0, 0); // both running before either fails: a stopped partition starts nothing more
        engine.Hold(P0, 1); // in flight (another key) while offset 0 stops the partition, then fails for good
        await consumer.GroupAssigns(P0).Returned;
        await Task.WhenAll(engine.Started(P0, 0), engine.Started(P0, 1));

        engine.Release(P0, 0);
        var (stopped, _) = await engine.Observer.FirstStop;
        engine.Release(P0, 1);
        await OffsetOneEnded(engine); // not a stop: a failure while stopping leaves its message unfinished without a failure action
        await engine.StopAsync();

        Assert.Equal(new TopicPartitionOffset(P0, 0), stopped);
        Assert.Equal([1], engine.AttemptsOf(P0, 1)); // it ran, and failed for good
        Assert.Single(engine.Observer.Events, e => e.StartsWith("stopped", StringComparison.Ordinal));
        Assert.True(consumer.CommittedOffset(P0) is null or 0, $"committed {consumer.CommittedOffset(P0)}: nothing may pass the stop");
    }

    /// <summary>Offset 1's failure has been through its failure action: the partition holds no message any more.</summary>
    private static async Task OffsetOneEnded(EngineHarness engine)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (engine.Status.BufferedMessages.GetValueOrDefault(P0) > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"offset 1 never ended: {engine.Status.BufferedMessages.GetValueOrDefault(P0)} buffered");
            await Task.Delay(10);
        }
    }
}

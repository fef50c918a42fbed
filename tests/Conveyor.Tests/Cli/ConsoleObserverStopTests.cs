using Confluent.Kafka;
using Conveyor.Cli.Tutorial;

namespace Conveyor.Tests.Cli;

/// <summary>
/// The CLI's record of stopped partitions (<see cref="ConsoleObserver.StoppedAt"/>) holds those assigned
/// now: a stop belongs to its assignment, so a revoked or lost partition is no longer this run's stop
/// (its next owner starts afresh from the commit). Before, the map kept them for the whole run.
/// </summary>
public sealed class ConsoleObserverStopTests
{
    private static readonly TopicPartition P0 = new("orders", 0);
    private static readonly TopicPartition P1 = new("orders", 1);

    [Fact]
    public void A_revoked_or_lost_partition_is_no_longer_recorded_as_stopped()
    {
        var observer = new ConsoleObserver(TextWriter.Null, TextWriter.Null);
        observer.OnPartitionsAssigned([P0, P1]);
        observer.OnPartitionStopped(new TopicPartitionOffset(P0, 3), new InvalidOperationException("boom"));
        observer.OnPartitionStopped(new TopicPartitionOffset(P1, 5), new InvalidOperationException("boom"));
        Assert.Equal(new Dictionary<TopicPartition, long> { [P0] = 3, [P1] = 5 }, observer.StoppedAt);

        observer.OnPartitionsRevoked([P0]);
        Assert.Equal(new Dictionary<TopicPartition, long> { [P1] = 5 }, observer.StoppedAt);

        observer.OnPartitionsLost([P1]);
        Assert.Empty(observer.StoppedAt);
    }

    [Fact]
    public void A_stop_still_fails_the_run_after_its_partition_is_revoked()
    {
        // consume --max-messages and demo end with a revoke of every partition: the run stopped one, so it failed.
        var observer = new ConsoleObserver(TextWriter.Null, TextWriter.Null);
        observer.OnPartitionsAssigned([P0, P1]);
        observer.OnPartitionStopped(new TopicPartitionOffset(P0, 3), new InvalidOperationException("boom"));
        observer.OnPartitionsRevoked([P0, P1]);

        Assert.Empty(observer.StoppedAt);
        Assert.Equal(1, observer.PartitionsStoppedInRun);
    }
}

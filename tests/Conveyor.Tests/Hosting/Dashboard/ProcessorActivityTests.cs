using Confluent.Kafka;
using Conveyor.Hosting;

namespace Conveyor.Tests.Hosting.Dashboard;

public class ProcessorActivityTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 4, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Rates_count_handled_messages_per_second_in_ten_second_buckets_and_forget_what_is_older_than_five_minutes()
    {
        var clock = new ManualClock(Start);
        var history = new RateHistory(clock);
        for (var i = 0; i < 50; i++)
        {
            history.Add(); // 50 in one second
        }

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(5.0, history.Rates(30, 10)[^1]);
        Assert.Equal(0.0, history.Rates(30, 10)[^2]);

        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal([5.0, 0.0], history.Rates(30, 10)[^2..]);

        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.All(history.Rates(30, 10), rate => Assert.Equal(0.0, rate));
    }

    [Fact]
    public void Activity_tracks_in_flight_calls_retries_dead_letters_pauses_and_stop_reasons_until_the_partition_is_revoked()
    {
        var activity = new ProcessorActivity(new ManualClock(Start));
        var p0 = new TopicPartition("orders", 0);
        var p1 = new TopicPartition("orders", 1);

        activity.Started("orders", 0);
        activity.Started("orders", 0);
        activity.Started("orders", 1);
        activity.Finished("orders", 0, succeeded: true);
        activity.Finished("orders", 1, succeeded: false);
        activity.OnRetrying(new TopicPartitionOffset(p1, 3), 1, new TimeoutException(), TimeSpan.Zero);
        activity.OnDeadLettered(new TopicPartitionOffset(p1, 3), new TopicPartitionOffset("orders.dlq", 0, 0), new TimeoutException());
        activity.OnBackPressure([p0], paused: true);
        activity.OnPartitionStopped(new TopicPartitionOffset(p1, 7), new InvalidOperationException("bad order"));

        var snapshot = activity.Snapshot();
        Assert.Equal(1, snapshot.Handled);
        Assert.Equal(1, snapshot.Retries);
        Assert.Equal(1, snapshot.DeadLettered);
        Assert.Equal(1, snapshot.TotalInFlight);
        Assert.Equal(1, snapshot.InFlight[p0]);
        Assert.Equal([p0], snapshot.Paused);
        Assert.Equal(new StoppedAt(7, "InvalidOperationException: bad order"), snapshot.Stopped[p1]);

        activity.OnBackPressure([p0], paused: false);
        activity.OnPartitionsRevoked([p1]);
        snapshot = activity.Snapshot();
        Assert.Empty(snapshot.Paused);
        Assert.Empty(snapshot.Stopped);
    }
}

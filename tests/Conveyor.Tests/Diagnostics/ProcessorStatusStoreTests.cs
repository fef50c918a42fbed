using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Diagnostics;
using Conveyor.Processing;

namespace Conveyor.Tests.Diagnostics;

public class ProcessorStatusStoreTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 4, 0, 0, TimeSpan.Zero);
    private static readonly Dictionary<string, string> Secrets = new() { ["sasl.password"] = "hunter2-secret" };

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
    public void Rates_keep_counting_across_a_wall_clock_step_forward_or_back()
    {
        var clock = new ManualClock(Start);
        var history = new RateHistory(clock);
        history.Add(50);
        clock.Step(TimeSpan.FromHours(1)); // NTP sets the wall clock an hour forward: no time passed
        history.Add(50); // still the same second
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([0.0, 10.0], history.Rates(30, 10)[^2..]);

        clock.Step(TimeSpan.FromHours(-2)); // and back, behind where it started: time still passes
        history.Add(20);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal([10.0, 2.0], history.Rates(30, 10)[^2..]);
    }

    [Fact]
    public void Activity_tracks_in_flight_calls_retries_dead_letters_pauses_and_stop_reasons_until_the_partition_is_revoked()
    {
        var activity = new ProcessorStatusStore(text => text, new ManualClock(Start));
        var p0 = new TopicPartition("orders", 0);
        var p1 = new TopicPartition("orders", 1);
        activity.OnPartitionsAssigned([p0, p1]);

        activity.HandlerStarted(p0);
        activity.HandlerStarted(p0);
        activity.HandlerStarted(p1);
        activity.HandlerEnded(p0, succeeded: true);
        activity.HandlerEnded(p1, succeeded: false);
        activity.OnRetrying(new TopicPartitionOffset(p1, 3), 1, new TimeoutException(), TimeSpan.Zero);
        activity.OnDeadLettered(new TopicPartitionOffset(p1, 3), new TopicPartitionOffset("orders.dlq", 0, 0), new TimeoutException());
        activity.OnBackPressure([p0], paused: true);
        activity.OnPartitionStopped(new TopicPartitionOffset(p1, 7), new InvalidOperationException("bad order"));

        var snapshot = activity.Snapshot().Activity;
        Assert.Equal(1, snapshot.Handled);
        Assert.Equal(1, snapshot.Retries);
        Assert.Equal(1, snapshot.DeadLettered);
        Assert.Equal(1, snapshot.TotalInFlight);
        Assert.Equal(1, snapshot.InFlight[p0]);
        Assert.Equal([p0], snapshot.Paused);
        Assert.Equal(new StoppedAt(7, "InvalidOperationException: bad order"), snapshot.Stopped[p1]);

        activity.OnBackPressure([p0], paused: false);
        activity.OnPartitionsRevoked([p1]);
        snapshot = activity.Snapshot().Activity;
        Assert.Empty(snapshot.Paused);
        Assert.Empty(snapshot.Stopped);
    }

    [Fact]
    public void A_snapshot_taken_before_an_event_does_not_change_after_it()
    {
        var store = new ProcessorStatusStore(text => text, new ManualClock(Start));
        var p0 = new TopicPartition("orders", 0);
        var p1 = new TopicPartition("orders", 1);
        store.Started();
        store.OnPartitionsAssigned([p0]);
        store.HandlerStarted(p0);
        store.Lag(new Dictionary<TopicPartition, long> { [p0] = 5 }, []);
        var before = store.Snapshot();

        store.OnPartitionsAssigned([p1]);
        store.HandlerStarted(p0);
        store.HandlerEnded(p0, succeeded: true);
        store.OnBackPressure([p0], paused: true);
        store.OnPartitionStalled(new TopicPartitionOffset(p1, 4), 9, TimeSpan.FromMinutes(1));
        store.OnPartitionStopped(new TopicPartitionOffset(p0, 3), new InvalidOperationException("bad order"));
        store.OnPartitionsRevoked([p0]);
        store.Lag(new Dictionary<TopicPartition, long> { [p0] = 1, [p1] = 2 }, []);
        store.Stopped("fatal");

        Assert.Equal(ProcessorState.Running, before.State);
        Assert.Null(before.Failure);
        Assert.Equal([p0], before.AssignedPartitions);
        Assert.Empty(before.StoppedPartitions);
        Assert.Empty(before.StalledPartitions);
        Assert.Null(before.LastError);
        Assert.Equal(5, Assert.Single(before.Lag).Value);
        Assert.Equal(0, before.Activity.Handled);
        Assert.Equal(1, before.Activity.InFlight[p0]);
        Assert.Empty(before.Activity.Paused);
        Assert.Empty(before.Activity.Stopped);
    }

    [Fact]
    public void A_stopped_partition_shows_with_its_reason_and_as_the_last_error_in_the_same_snapshot()
    {
        var store = new ProcessorStatusStore(text => text, new ManualClock(Start));
        var at = new TopicPartitionOffset("orders", 1, 42);
        store.Started();
        store.OnPartitionsAssigned([at.TopicPartition]);

        store.OnPartitionStopped(at, new InvalidOperationException("bad order"));

        var status = store.Snapshot();
        Assert.Equal([at], status.StoppedPartitions);
        Assert.Equal(new StoppedAt(42, "InvalidOperationException: bad order"), status.Activity.Stopped[at.TopicPartition]);
        Assert.Equal(new LastError(Start, "orders[1]@42 failed for good and stopped its partition: InvalidOperationException: bad order"), status.LastError);
    }

    [Fact]
    public void The_last_error_is_the_latest_failure_with_its_time_and_secret_values_masked()
    {
        var clock = new ManualClock(Start);
        var store = new ProcessorStatusStore(text => SecretProperties.Redact(text, Secrets), clock);
        Assert.Null(store.Snapshot().LastError);

        store.OnCommitFailed([new TopicPartitionOffset("orders", 0, 9)], new Error(ErrorCode.RebalanceInProgress, "rebalancing"));
        clock.Advance(TimeSpan.FromSeconds(3));
        store.OnError(new Error(ErrorCode.Local_Authentication, "SASL authentication failed for hunter2-secret"));

        var error = store.Snapshot().LastError;
        Assert.Equal(Start.AddSeconds(3), error!.At);
        Assert.Equal($"client error Local_Authentication: SASL authentication failed for {SecretProperties.Mask}", error.Message);
    }

    [Fact]
    public void Handled_messages_reach_the_rate_when_the_poll_loop_goes_round()
    {
        var clock = new ManualClock(Start);
        var store = new ProcessorStatusStore(text => text, clock);
        var p0 = new TopicPartition("orders", 0);
        for (var i = 0; i < 30; i++)
        {
            store.HandlerStarted(p0);
            store.HandlerEnded(p0, succeeded: true);
        }

        store.Polled();
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(3.0, store.Snapshot().Activity.Rates[^1]);
        Assert.Equal(30, store.Snapshot().Activity.Handled);
    }
}

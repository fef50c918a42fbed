using Confluent.Kafka;
using Conveyor.Hosting;
using Conveyor.Processing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Conveyor.Tests.Hosting;

public class ProcessorHealthCheckTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan MaxPollAge = TimeSpan.FromMinutes(1);

    [Fact]
    public void A_running_processor_that_polled_recently_is_healthy()
    {
        var result = Evaluate(Running(lastPoll: Now.AddSeconds(-2)));

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal("Running", result.Data["state"]);
    }

    [Fact]
    public void A_processor_that_has_not_polled_for_longer_than_the_limit_is_unhealthy()
    {
        var result = Evaluate(Running(lastPoll: Now.AddMinutes(-2)));

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("The processor has not polled for 120 s (limit 60 s).", result.Description);
    }

    [Fact]
    public void A_stopped_partition_makes_the_processor_unhealthy_and_is_named()
    {
        var status = Running(Now) with { StoppedPartitions = [new TopicPartitionOffset("orders", 3, 42)] };

        var result = Evaluate(status);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("Partitions stopped at messages that failed for good: orders[3]@42.", result.Description);
    }

    [Fact]
    public void A_stalled_partition_makes_the_processor_degraded_and_is_named()
    {
        var status = Running(Now) with { StalledPartitions = [new TopicPartitionOffset("orders", 1, 1000)] };

        var result = Evaluate(status);

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Equal(1, result.Data["stalled_partitions"]);
        Assert.Contains("orders[1]@1000", result.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ProcessorState.Stopped, "The processor has stopped.")]
    [InlineData(ProcessorState.Failed, "The processor failed: fatal client error")]
    public void A_processor_that_ended_is_unhealthy(ProcessorState state, string description)
    {
        var result = Evaluate(new ProcessorStatus(state, Now, [], [], "fatal client error"));

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal(description, result.Description);
    }

    [Fact]
    public void A_processor_that_has_not_started_or_polled_yet_is_degraded()
    {
        Assert.Equal(HealthStatus.Degraded, Evaluate(new ProcessorStatus(ProcessorState.NotStarted, null, [], [], null)).Status);
        Assert.Equal(HealthStatus.Degraded, Evaluate(Running(lastPoll: null)).Status);
    }

    private static ProcessorStatus Running(DateTimeOffset? lastPoll) =>
        new(ProcessorState.Running, lastPoll, [], [new TopicPartition("orders", 0)], null);

    private static HealthCheckResult Evaluate(ProcessorStatus status) => ProcessorHealthCheck.Evaluate(status, Now, MaxPollAge);
}

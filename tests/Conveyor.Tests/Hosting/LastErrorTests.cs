using Confluent.Kafka;
using Conveyor.Diagnostics;
using Conveyor.Hosting;
using Conveyor.Processing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Conveyor.Tests.Hosting;

public class LastErrorTests
{
    [Fact]
    public void The_status_store_remembers_the_last_failure_and_the_health_check_reports_it_with_the_partitions()
    {
        var observer = new ProcessorStatusStore(text => text);
        Assert.Null(observer.Snapshot().LastError);

        observer.OnError(new Error(ErrorCode.BrokerNotAvailable, "broker down"));
        observer.OnPartitionStopped(new TopicPartitionOffset("orders", 1, 42), new InvalidOperationException("bad order"));

        Assert.Equal("orders[1]@42 failed for good and stopped its partition: InvalidOperationException: bad order", observer.Snapshot().LastError!.Message);

        var now = DateTimeOffset.UtcNow;
        var status = new ProcessorStatus(ProcessorState.Running, now, [new TopicPartitionOffset("orders", 1, 42)], [new TopicPartition("orders", 0), new TopicPartition("orders", 1)], null);
        var result = ProcessorHealthCheck.Evaluate(status, now, TimeSpan.FromMinutes(1), observer.Snapshot().LastError);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal(["orders[0]", "orders[1]"], (string[])result.Data[ProcessorHealthCheck.AssignedKey]);
        Assert.Equal(["orders[1]@42"], (string[])result.Data[ProcessorHealthCheck.StoppedKey]);
        Assert.Equal(observer.Snapshot().LastError!.Message, result.Data[ProcessorHealthCheck.LastErrorKey]);
    }
}

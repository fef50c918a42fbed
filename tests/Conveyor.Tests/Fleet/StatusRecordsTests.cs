using Confluent.Kafka;
using Conveyor.Diagnostics;
using Conveyor.Fleet;
using Conveyor.Processing;

namespace Conveyor.Tests.Fleet;

public class StatusRecordsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_record_shows_each_partitions_offsets_and_why_it_is_paused()
    {
        TopicPartition p0 = new("orders", 0), p1 = new("orders", 1), p2 = new("orders", 2);
        var status = new ProcessorStatus(ProcessorState.Running, Now, [], [p2, p0, p1], null)
        {
            CommittableOffsets = new Dictionary<TopicPartition, long> { [p0] = 12 },
            Committed = new Dictionary<TopicPartition, long> { [p0] = 10 },
            Lag = new Dictionary<TopicPartition, long> { [p0] = 5 },
            Activity = ActivitySnapshot.None with { Paused = [p1], InFlight = new Dictionary<TopicPartition, int> { [p0] = 2 } },
        };
        var operators = new OperatorState("g");
        operators.Apply(new ControlCommand("id", "g", ControlKind.Pause, "alice", Now) { Topic = "orders", Partitions = [2] });

        var record = StatusRecords.Build(new ProcessorOptions { GroupId = "g", Topics = ["orders"] }, "a", status, operators, 7, [], Now);

        Assert.Equal([0, 1, 2], record.Partitions.Select(p => p.Partition));
        Assert.Equal(new PartitionStatus("orders", 0, 10, 12, 15, 2, 0, null), record.Partitions[0]);
        Assert.Equal("back-pressure", record.Partitions[1].Paused);
        Assert.Equal("operator: paused by alice at 2026-12-06 12:00:00Z (orders[2])", record.Partitions[2].Paused);
        Assert.Equal(7, record.Concurrency);
        Assert.Equal(2, record.InFlight);
        Assert.Equal("g/a", record.Key);
    }

    [Fact]
    public void The_end_offset_comes_from_the_consumers_last_fetch_even_before_the_lag_is_known()
    {
        TopicPartition p0 = new("orders", 0), p1 = new("orders", 1);
        var status = new ProcessorStatus(ProcessorState.Running, Now, [], [p0, p1], null)
        {
            Committed = new Dictionary<TopicPartition, long> { [p1] = 4 },
            EndOffsets = new Dictionary<TopicPartition, long> { [p0] = 9, [p1] = 7 },
        };

        var record = StatusRecords.Build(new ProcessorOptions { GroupId = "g", Topics = ["orders"] }, "a", status, new OperatorState("g"), 1, [], Now);

        Assert.Equal([9L, 7L], record.Partitions.Select(p => p.End));
    }
}

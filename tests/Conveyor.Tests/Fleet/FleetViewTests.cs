using Conveyor.Fleet;

namespace Conveyor.Tests.Fleet;

public class FleetViewTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static InstanceStatus Record(string group, string instance, DateTimeOffset at, string state = "Running", params int[] partitions) =>
        new(group, instance, "host", "1.0.0", state, at) { Partitions = [.. partitions.Select(p => new PartitionStatus("t", p, null, null, null, 0, 0, null))] };

    [Fact]
    public void An_instance_that_stopped_reporting_is_gone_after_the_timeout()
    {
        var view = new FleetView(TimeSpan.FromSeconds(10));
        view.Add(Record("g", "a", Now - TimeSpan.FromSeconds(9)));
        view.Add(Record("g", "b", Now - TimeSpan.FromSeconds(11)));

        Assert.Equal(["a"], view.Live("g", Now).Select(i => i.Instance));
        Assert.Equal([true, false], view.Instances(Now).Select(i => i.Live));
    }

    [Fact]
    public void An_instance_whose_last_record_says_it_stopped_is_gone_at_once()
    {
        var view = new FleetView(TimeSpan.FromSeconds(10));
        view.Add(Record("g", "a", Now - TimeSpan.FromSeconds(2), partitions: 0));
        view.Add(Record("g", "a", Now - TimeSpan.FromSeconds(1), "Stopped"));

        Assert.Empty(view.Live("g", Now));
    }

    [Fact]
    public void An_older_record_arriving_late_does_not_replace_a_newer_one()
    {
        var view = new FleetView(TimeSpan.FromSeconds(10));
        view.Add(Record("g", "a", Now, partitions: 1));
        view.Add(Record("g", "a", Now - TimeSpan.FromSeconds(5), partitions: 0));

        Assert.Equal(1, Assert.Single(view.Live("g", Now)).Partitions.Single().Partition);
    }

    [Fact]
    public void Instances_are_listed_per_group_and_a_group_sees_only_its_own()
    {
        var view = new FleetView(TimeSpan.FromSeconds(10));
        view.Add(Record("payments", "x", Now));
        view.Add(Record("orders", "b", Now));
        view.Add(Record("orders", "a", Now));

        Assert.Equal(["orders/a", "orders/b", "payments/x"], view.Instances(Now).Select(i => i.Status.Key));
        Assert.Equal(["orders", "payments"], view.Groups(Now));
        Assert.Equal(2, view.Live("orders", Now).Count);
    }

    [Fact]
    public void A_status_record_reads_back_as_written_and_garbage_is_skipped()
    {
        var record = Record("g", "a", Now, partitions: 3) with { Pauses = [new OperatorPause("t", 3, "alice", Now, "id")] };

        var read = InstanceStatus.Parse(record.ToJson());

        Assert.Equal("g/a", read?.Key);
        Assert.Equal("alice", read?.Pauses.Single().By);
        Assert.Null(InstanceStatus.Parse("{}"u8));
        Assert.Null(InstanceStatus.Parse("nope"u8));
    }
}

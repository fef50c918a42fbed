using Conveyor.Fleet;
using Conveyor.Processing;

namespace Conveyor.Tests.Fleet;

public class FleetOptionsTests
{
    private static readonly ProcessorOptions Valid = new() { GroupId = "g", Topics = ["orders"] };

    [Fact]
    public void The_fleet_is_a_settings_section_the_binder_and_the_dashboard_see()
    {
        Assert.Contains(nameof(ProcessorOptions.Fleet), ProcessorOptionsDescription.Sections.Select(p => p.Name));
        var shown = ProcessorOptionsDescription.Describe(Valid with { Fleet = new FleetOptions { StatusTopic = "fleet.status" } }, ProcessorKind.Processor).ToDictionary();
        Assert.Equal("fleet.status", shown["Fleet.StatusTopic"]);
        Assert.Equal("(not set)", shown["Fleet.ControlTopic"]);
    }

    [Fact]
    public void Bad_fleet_settings_are_each_reported()
    {
        var problems = (Valid with
        {
            Fleet = new FleetOptions { StatusTopic = "no spaces", ControlTopic = "orders", StatusInterval = TimeSpan.FromMilliseconds(10), InstanceId = " " },
        }).Validate();

        Assert.Contains(problems, p => p.StartsWith("Fleet.StatusTopic 'no spaces' is not a legal Kafka topic name", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Fleet.ControlTopic 'orders' is also consumed", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Fleet.StatusInterval must be between 100 ms and 300 s", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Fleet.InstanceId must not be empty", StringComparison.Ordinal));
        Assert.Empty(Valid.Validate());
    }
}

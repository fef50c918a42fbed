using Conveyor.Cli.Tutorial;
using Conveyor.IntegrationTests.Support;

namespace Conveyor.IntegrationTests.Tutorial;

[Collection(RebalanceCollection.Name)]
public class RebalanceTests(EmbeddedKafkaFixture kafka)
{
    private const string Assigned = AssignmentLines.Prefix;

    [Fact]
    public async Task Two_members_split_six_partitions_and_the_survivor_takes_all_when_one_leaves()
    {
        var topic = kafka.CreateTopic(partitions: 6);
        var group = Names.Unique("group");

        await using var first = RunningConsumer.Start(kafka.Settings(), new ConsumeSettings(topic, group));
        await first.Output.WaitForLine(Assigned, Timeouts.Rebalance);
        Assert.Equal([0, 1, 2, 3, 4, 5], AssignmentLines.Latest(first.Output.Lines));

        await using var second = RunningConsumer.Start(kafka.Settings(), new ConsumeSettings(topic, group));
        await first.Output.WaitForLines(Assigned, 2, Timeouts.Rebalance);
        await second.Output.WaitForLine(Assigned, Timeouts.Rebalance);

        // The eager protocol revokes everything, then hands out three each, covering all six.
        Assert.Contains(TutorialLines.AllRevoked, first.Output.Lines);
        var firstShare = AssignmentLines.Latest(first.Output.Lines);
        var secondShare = AssignmentLines.Latest(second.Output.Lines);
        Assert.Equal(3, firstShare.Count);
        Assert.Equal(3, secondShare.Count);
        Assert.Equal([0, 1, 2, 3, 4, 5], firstShare.Concat(secondShare).Order());
        Assert.Equal(secondShare.Select(p => $"rebalanced partition {p}"), second.Output.Lines.Where(l => l.StartsWith("rebalanced", StringComparison.Ordinal)));

        // The first leaves cleanly; the second takes over all six.
        await first.StopAsync();
        await second.Output.WaitForLines(Assigned, 2, Timeouts.Rebalance);
        Assert.Equal([0, 1, 2, 3, 4, 5], AssignmentLines.Latest(second.Output.Lines));
    }
}

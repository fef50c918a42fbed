using Conveyor.IntegrationTests.Support;

namespace Conveyor.IntegrationTests.Cli;

/// <summary>
/// The tutorial's two-instance scenario with real processes: <c>conveyor broker</c> in one,
/// two <c>conveyor consume</c> of the same group in two others.
/// </summary>
public class TwoProcessTests
{
    private const string Assigned = AssignmentLines.Prefix;

    [Fact]
    public async Task Two_consumer_processes_split_the_partitions_three_and_three_and_one_takes_over_when_the_other_stops()
    {
        var bootstrapFile = Path.Combine(Path.GetTempPath(), Names.Unique("bootstrap"));
        await using var broker = CliProcess.Start("broker", "--topic", "rust:6", "--bootstrap-file", bootstrapFile);
        var bootstrap = (await broker.Output.WaitForLine("bootstrap servers: ", Timeouts.Flow))["bootstrap servers: ".Length..];
        Assert.Equal(bootstrap, await File.ReadAllTextAsync(bootstrapFile));
        File.Delete(bootstrapFile);

        await using var first = CliProcess.Start("consume", "-b", bootstrap, "--group", "my_consumer_group");
        await first.Output.WaitForLine(Assigned, Timeouts.Rebalance);
        Assert.Equal([0, 1, 2, 3, 4, 5], AssignmentLines.Latest(first.Output.Lines));

        await using var second = CliProcess.Start("consume", "-b", bootstrap, "--group", "my_consumer_group");
        await second.Output.WaitForLine(Assigned, Timeouts.Rebalance);
        await first.Output.WaitForLines(Assigned, 2, Timeouts.Rebalance);
        Assert.Equal(3, AssignmentLines.Latest(first.Output.Lines).Count);
        Assert.Equal(3, AssignmentLines.Latest(second.Output.Lines).Count);
        Assert.Equal([0, 1, 2, 3, 4, 5], AssignmentLines.Latest(first.Output.Lines).Concat(AssignmentLines.Latest(second.Output.Lines)).Order());

        // Stopping one (SIGTERM) is clean, and its partitions go to the other.
        first.Terminate();
        Assert.Equal(0, await first.WaitForExitAsync(Timeouts.Stop));
        Assert.Contains("ALL partitions have been REVOKED", first.Output.Lines);
        await second.Output.WaitForLines(Assigned, 2, Timeouts.Rebalance);
        Assert.Equal([0, 1, 2, 3, 4, 5], AssignmentLines.Latest(second.Output.Lines));

        second.Terminate();
        Assert.Equal(0, await second.WaitForExitAsync(Timeouts.Stop));
        broker.Terminate();
        Assert.Equal(0, await broker.WaitForExitAsync(Timeouts.Stop));
    }
}

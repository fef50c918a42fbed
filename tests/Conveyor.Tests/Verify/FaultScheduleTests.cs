using Conveyor.Cli.Verify;

namespace Conveyor.Tests.Verify;

public class FaultScheduleTests
{
    private static readonly FaultKind[] Everything =
        [FaultKind.Kill, FaultKind.Restart, FaultKind.JoinLeave, FaultKind.BrokerErrors, FaultKind.DropConnections, FaultKind.BrokerDown];

    [Fact]
    public void A_run_repeated_with_its_seed_draws_the_same_fault_schedule()
    {
        Assert.Equal(Draw(seed: 2335197), Draw(seed: 2335197));
    }

    [Fact]
    public void Another_seed_draws_another_schedule()
    {
        Assert.NotEqual(Draw(seed: 1), Draw(seed: 2));
    }

    [Fact]
    public void The_summary_and_the_json_line_print_the_seed()
    {
        var report = new AuditReport(Produced: 1, Processed: 1, DeadLettered: 0, Lost: 0, Pending: 0, Duplicates: 0, WorstDuplicate: 0, new Dictionary<string, int>(), TimeSpan.FromSeconds(1), "engine")
        {
            Seed = 2335197,
        };

        Assert.Contains("--seed 2335197", report.Summary(), StringComparison.Ordinal);
        Assert.Contains("\"seed\":2335197", report.Json(), StringComparison.Ordinal);
    }

    private static List<FaultDraw> Draw(int seed)
    {
        var schedule = new FaultSchedule(seed);
        return [.. Enumerable.Range(0, 50).Select(_ => schedule.Next(Everything, workers: 3, brokers: 3))];
    }
}

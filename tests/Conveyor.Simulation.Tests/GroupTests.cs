using Conveyor.Processing.Engine;
using Xunit.Abstractions;

namespace Conveyor.Simulation.Tests;

/// <summary>
/// Two real engine members in one simulated group: partitions move between them on revoke,
/// assign and loss, a killed member restarts without its uncommitted state, every invariant holds
/// across members, and the re-introduced bugs are found there too.
/// </summary>
public sealed class GroupTests(ITestOutputHelper output)
{
    [Fact]
    public void Partitions_move_between_two_real_engines_and_a_killed_one_comes_back()
    {
        var moved = 0;
        var restarted = 0;
        for (var seed = 0; seed < 40; seed++)
        {
            var result = SimWorld.Run(ScheduleGenerator.For(seed, members: 2), trace: true);
            Assert.True(result.Violation is null, result.Violation);
            var lines = result.Trace.Split('\n');
            var firstByOne = Array.FindIndex(lines, l => l.Contains("member 1 handler p0@", StringComparison.Ordinal));
            var lastByTwo = Array.FindLastIndex(lines, l => l.Contains("member 2 handler p0@", StringComparison.Ordinal));
            moved += firstByOne >= 0 && lastByTwo > firstByOne ? 1 : 0;
            restarted += lines.Any(l => l.Contains("process 2 starts", StringComparison.Ordinal)) ? 1 : 0;
        }

        output.WriteLine($"{moved} of 40 runs handed p0 from member 1 to member 2; {restarted} restarted a killed member");
        Assert.True(moved >= 5, $"p0 moved from member 1 to member 2 in {moved} runs");
        Assert.True(restarted >= 5, $"a killed member restarted in {restarted} runs");
    }

    /// <summary>
    /// A member whose session ended is out of the group until its lost callback has run: the
    /// simulated coordinator refuses its ordinary commits meanwhile, whatever partitions they name,
    /// as a real one checks every commit's member and generation. The seeds reach that refusal and
    /// keep every invariant.
    /// </summary>
    [Fact]
    public void A_member_whose_session_ended_has_its_commits_refused_until_its_lost_callback()
    {
        var refused = 0;
        for (var seed = 0; seed < 100; seed++)
        {
            var result = SimWorld.Run(ScheduleGenerator.For(seed, members: 2), trace: true);
            Assert.True(result.Violation is null, result.Violation);
            refused += result.Trace.Contains("refused: stale generation", StringComparison.Ordinal) ? 1 : 0;
        }

        output.WriteLine($"{refused} of 100 two-member runs refused a commit of a member whose session had ended");
        Assert.True(refused > 0, "no run refused a commit for a stale generation");
    }

    [Theory]
    [InlineData(nameof(ReintroducedBugs.PauseKeptAcrossAssign), "watchdog")]
    [InlineData(nameof(ReintroducedBugs.LaneByPartitionName), "stall")]
    [InlineData(nameof(ReintroducedBugs.RevokeTimeoutCommitsPastRunning), "past-unfinished", "outputs-unacknowledged")] // forwarding: past an input whose outputs are in flight
    [InlineData(nameof(ReintroducedBugs.CommitOnLost), "commit-on-lost")]
    [InlineData(nameof(ReintroducedBugs.RestoredSkipsKeepCommit), "stall")]
    [InlineData(nameof(ReintroducedBugs.FinishOnHandOff), "outputs-unacknowledged")]
    [InlineData(nameof(ReintroducedBugs.AtMostOnceCommitsAfterHandling), "handled-before-commit")]
    public void Two_members_find_the_reintroduced_bug(string name, string kind, string? otherKind = null)
    {
        var bug = Enum.Parse<ReintroducedBugs>(name);
        var (seed, _) = SimulationRules.FirstFailing(400, seed => ScheduleGenerator.For(seed, members: 2), bug)
            ?? throw new Xunit.Sdk.XunitException($"{bug} was not found in 400 two-member seeds.");

        var result = SimulationRules.AssertOnlyTheBugFails(ScheduleGenerator.For(seed, members: 2), bug, kind, otherKind);
        output.WriteLine($"{bug} with two members: found at seed {seed}: {result.Violation}");
    }
}

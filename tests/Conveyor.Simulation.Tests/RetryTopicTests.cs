using System.Text.RegularExpressions;
using Conveyor.Processing.Engine;
using Conveyor.Simulation.Pipelines;
using Xunit.Abstractions;

namespace Conveyor.Simulation.Tests;

/// <summary>
/// Retry topics in the simulator (<see cref="Pipeline.RetryTopics"/>): the real publisher writes
/// each failed message to the next retry topic (or the dead-letter topic), the same engine reads
/// it back once due. Seeds of their own, apart from the CI seed set.
/// </summary>
public sealed partial class RetryTopicTests(ITestOutputHelper output)
{
    private const int Seeds = 300;

    [Fact]
    public void Retry_topic_schedules_keep_every_invariant()
    {
        SimulationRules.AssertEveryScheduleKeepsTheInvariants(Enumerable.Range(0, Seeds).Select(seed => ScheduleGenerator.For(seed, pipeline: Pipeline.RetryTopics)));
    }

    [Fact]
    public void Failed_messages_travel_through_both_retry_topics_to_the_dead_letter_topic()
    {
        int stored = 0, secondHop = 0, deadLetters = 0, failedWrites = 0;
        for (var seed = 0; seed < 30; seed++)
        {
            var schedule = ScheduleGenerator.For(seed, pipeline: Pipeline.RetryTopics);
            var result = SimWorld.Run(schedule, trace: true);
            Assert.False(result.Failed, result.Violation);
            var main = schedule.Partitions - schedule.RetryTopicPartitions;
            foreach (Match m in StoredAt().Matches(result.Trace))
            {
                stored++;
                secondHop += int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= main ? 1 : 0;
            }

            deadLetters += Regex.Count(result.Trace, "dead letter of p[0-9]+@[0-9]+ acknowledged");
            failedWrites += Regex.Count(result.Trace, "retry record of p[0-9]+@[0-9]+ failed");
        }

        output.WriteLine($"30 seeds: {stored} retry records stored ({secondHop} from a retry topic), {deadLetters} dead letters, {failedWrites} failed retry writes");
        Assert.True(stored > 0 && secondHop > 0 && deadLetters > 0 && failedWrites > 0, "every path is exercised");
    }

    [Fact]
    public void The_seeds_find_a_failed_message_finished_before_its_retry_record_is_acknowledged()
    {
        const ReintroducedBugs bug = ReintroducedBugs.RetryWriteFinishesAtHandOff;
        var (seed, result) = SimulationRules.FirstFailing(Seeds, seed => ScheduleGenerator.For(seed, pipeline: Pipeline.RetryTopics), bug)
            ?? throw new Xunit.Sdk.XunitException($"{bug} was not found in {Seeds} retry-topic seeds.");

        Assert.Contains(result.Kind, new[] { "past-unfinished", "completion-unfinished" });
        var shrunk = Shrinker.Shrink(result, bug, budget: 300);
        Assert.True(shrunk.Failed, "the shrunk schedule still fails");
        Assert.False(SimWorld.Run(shrunk.Schedule).Failed, "the shrunk schedule passes without the bug");
        output.WriteLine($"{bug}: found at seed {seed} ({seed + 1} seeds); shrunk from {result.Schedule.Faults.Count} to {shrunk.Schedule.Faults.Count} faults");
        output.WriteLine(Reproduction.Describe(shrunk));
    }

    [Fact]
    public void A_retry_topic_run_is_the_same_run_for_the_same_seed()
    {
        var first = SimWorld.Run(ScheduleGenerator.For(13, pipeline: Pipeline.RetryTopics), trace: true);
        var second = SimWorld.Run(ScheduleGenerator.For(13, pipeline: Pipeline.RetryTopics), trace: true);

        Assert.Contains("retry record of", first.Trace, StringComparison.Ordinal);
        Assert.Equal(first.Trace, second.Trace);
    }

    [GeneratedRegex("retry record of p([0-9]+)@[0-9]+ acknowledged")]
    private static partial Regex StoredAt();
}

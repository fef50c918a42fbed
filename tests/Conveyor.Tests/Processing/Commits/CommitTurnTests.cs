using Confluent.Kafka;
using Conveyor.Diagnostics;
using Conveyor.Processing;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Completions;
using Conveyor.Processing.Engine;

namespace Conveyor.Tests.Processing.Commits;

/// <summary>What a poll turn's commit tick asks of the owned partitions when no commit is due.</summary>
public class CommitTurnTests
{
    private static readonly DateTime Start = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_turn_asks_no_partition_whether_its_commit_is_due_when_completions_never_hurry_a_commit()
    {
        var completions = new CountingCompletions(hurries: false);
        var commits = Commits(completions, partitions: 1_000);

        commits.Tick(Start.AddSeconds(1)); // past the early-commit gap, long before the interval

        Assert.Equal(0, completions.CommitDueAsked); // not 1,000 questions at every turn
    }

    [Fact]
    public void A_turn_asks_the_partitions_when_completions_may_hurry_a_commit()
    {
        var completions = new CountingCompletions(hurries: true);
        var commits = Commits(completions, partitions: 3);

        commits.Tick(Start.AddSeconds(1));

        Assert.Equal(3, completions.CommitDueAsked);
    }

    private static SynchronousCommits Commits(ICompletions completions, int partitions)
    {
        var options = new ProcessorOptions { GroupId = "commit-turns", Topics = ["commit-turns"], CommitInterval = TimeSpan.FromHours(1) };
        var dispatcher = new Dispatcher();
        var events = new ProcessorEvents(null, options.GroupId, text => text);
        var watchdog = new StallWatchdog(Timeout.InfiniteTimeSpan, events);
        var owned = new OwnedPartitions(dispatcher, watchdog);
        for (var p = 0; p < partitions; p++)
        {
            owned.Add(new PartitionState(new TopicPartition("commit-turns", p)));
        }

        var schedule = new CommitSchedule(options.CommitInterval, everyMessages: null);
        var context = new CommitContext(options, null!, dispatcher, owned, schedule, completions, new RebalanceHold(), watchdog, events, TimeProvider.System, _ => { });
        var commits = new SynchronousCommits(context);
        commits.Start(Start);
        return commits;
    }

    /// <summary>Completions that never ask for an early commit, counting how often they are asked.</summary>
    private sealed class CountingCompletions(bool hurries) : ICompletions
    {
        public int CommitDueAsked { get; private set; }

        public bool HurriesCommits => hurries;

        public IReadOnlyDictionary<TopicPartition, CompletionMap> Restore(List<TopicPartition> partitions) => new Dictionary<TopicPartition, CompletionMap>();

        public OffsetCommit? Next(PartitionState partition) => null;

        public void Commit(IReadOnlyList<OffsetCommit> offsets)
        {
        }

        public void Remember(List<PartitionState> states)
        {
        }

        public bool Full(PartitionState partition) => false;

        public bool CommitDue(PartitionState partition)
        {
            CommitDueAsked++;
            return false;
        }
    }
}

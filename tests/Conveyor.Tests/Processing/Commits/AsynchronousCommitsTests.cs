using Confluent.Kafka;
using Conveyor.Diagnostics;
using Conveyor.Processing;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Completions;
using Conveyor.Processing.Engine;
using Conveyor.Tests.Processing.Engine;

namespace Conveyor.Tests.Processing.Commits;

/// <summary>
/// An asynchronous commit that landed is the partition's last commit from the next poll turn on:
/// before, the early commits (the run-ahead bound's, a quiet partition's) stayed due once due, and
/// every turn past the early-commit gap computed again commits that the committer dropped as sent.
/// </summary>
public sealed class AsynchronousCommitsTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TopicPartition P0 = new("async-commits", 0);

    [Fact]
    public void A_run_ahead_commit_that_landed_is_not_asked_for_again()
    {
        var member = new Member(runAheadLimit: 10, idleCommitDelay: Timeout.InfiniteTimeSpan);
        member.Received(10); // the head moved the whole limit: its commit does not wait for the interval

        for (var turn = 1; turn <= 10; turn++)
        {
            member.TurnAt(TimeSpan.FromMilliseconds(200 * turn)); // each past the early-commit gap
        }

        Assert.Equal(1, member.Completions.Asked); // not once a turn, for the offset that landed at the first
        Assert.Equal([10L], member.CommittedOffsets());
        Assert.Equal(10, member.State.Poll.LastCommitted);
    }

    [Fact]
    public void A_quiet_partition_whose_offset_landed_on_the_interval_is_not_asked_for_again()
    {
        var member = new Member(runAheadLimit: null, idleCommitDelay: TimeSpan.FromMilliseconds(300), interval: TimeSpan.FromSeconds(1));
        member.Received(3);

        member.TurnAt(TimeSpan.FromSeconds(1)); // the interval: 3 is committed
        for (var turn = 1; turn <= 9; turn++)
        {
            // Quiet since 300 ms with 3 committable: above the last commit only if the commit
            // that landed was not recorded.
            member.TurnAt(TimeSpan.FromMilliseconds(1_000 + (100 * turn)));
        }

        Assert.Equal(1, member.Completions.Asked);
        Assert.Equal([3L], member.CommittedOffsets());
    }

    /// <summary>A member owning <see cref="P0"/> since <see cref="Start"/>, whose asynchronous commits land at once.</summary>
    private sealed class Member
    {
        private readonly FakeConsumer _consumer = new(new ConsumerCallbacks((_, _) => { }, (_, _) => { }, (_, _) => { }, (_, _) => { }, (_, _) => { }, (_, _) => { }));
        private readonly Dispatcher _dispatcher;
        private readonly ManualClock _clock = new(Start);
        private readonly StallWatchdog _watchdog;

        public Member(long? runAheadLimit, TimeSpan idleCommitDelay, TimeSpan? interval = null)
        {
            var options = new ProcessorOptions
            {
                GroupId = "async-commits",
                Topics = ["async-commits"],
                CommitMode = OffsetCommitMode.Asynchronous,
                CommitInterval = interval ?? TimeSpan.FromHours(1),
                IdleCommitDelay = idleCommitDelay,
            };

            // The committer's send runs inline: it has landed when the request returns.
            var runtime = new EngineRuntime
            {
                Run = send =>
                {
                    send();
                    return Task.CompletedTask;
                },
            };
            _dispatcher = new Dispatcher(runtime: runtime);
            var events = new ProcessorEvents(null, options.GroupId, text => text);
            _watchdog = new StallWatchdog(Timeout.InfiniteTimeSpan, events, _clock);
            var owned = new OwnedPartitions(_dispatcher, _watchdog);
            owned.Add(State);
            Completions = new CountingCompletions(new OffsetOnlyCompletions(_dispatcher, _consumer, runAheadLimit is { } limit ? new RunAheadBound(_dispatcher, limit) : null));
            var schedule = new CommitSchedule(options.CommitInterval, everyMessages: null);
            var context = new CommitContext(options, _consumer, _dispatcher, owned, schedule, Completions, new RebalanceHold(), _watchdog, events, _clock, _ => { });
            Commits = new AsynchronousCommits(context);
            Commits.Start(_watchdog.Now);
        }

        public PartitionState State { get; } = new(P0);

        public CountingCompletions Completions { get; }

        public AsynchronousCommits Commits { get; }

        /// <summary>Offsets 0 to <paramref name="count"/> - 1 arrived at <see cref="Start"/> and are finished.</summary>
        public void Received(int count)
        {
            State.Poll.FirstDelivered = 0;
            State.Poll.NextOffset = count;
            State.Poll.LastDeliveredAt = _watchdog.Now;
            _dispatcher.PassOtherGroups([(State, count - 1)]);
        }

        /// <summary>A poll turn's commit tick, <paramref name="sinceStart"/> after <see cref="Start"/>.</summary>
        public void TurnAt(TimeSpan sinceStart)
        {
            _clock.Advance(Start + sinceStart - _clock.GetUtcNow());
            Commits.Tick(_watchdog.Now);
        }

        public List<long> CommittedOffsets() => [.. _consumer.Commits.SelectMany(c => c.Offsets).Select(o => o.Offset.Offset.Value)];
    }

    /// <summary>Counts the commits the poll thread computes (before the committer drops those it sent already).</summary>
    private sealed class CountingCompletions(ICompletions inner) : ICompletions
    {
        public int Asked { get; private set; }

        public bool HurriesCommits => inner.HurriesCommits;

        public IReadOnlyDictionary<TopicPartition, CompletionMap> Restore(List<TopicPartition> partitions) => inner.Restore(partitions);

        public OffsetCommit? Next(PartitionState partition)
        {
            var next = inner.Next(partition);
            Asked += next is null ? 0 : 1;
            return next;
        }

        public void Commit(IReadOnlyList<OffsetCommit> offsets) => inner.Commit(offsets);

        public void Remember(List<PartitionState> states) => inner.Remember(states);

        public bool Full(PartitionState partition) => inner.Full(partition);

        public bool CommitDue(PartitionState partition) => inner.CommitDue(partition);
    }
}

namespace Conveyor.Simulation.Tests;

/// <summary>Seeds that once failed, kept as tests of what they found.</summary>
public sealed class RegressionSeedTests
{
    /// <summary>
    /// Every partition was paused for a full buffer when a new assignment arrived inside
    /// <c>Consume</c>; the feeder kept taking the new partition's messages past the buffer's cap
    /// (22 of 20 in seed 38, up to a whole batch of 500 with real fetch sizes). The feeder now puts
    /// such a message back (seek), and the next turn pauses the new partition like the others.
    /// </summary>
    [Theory]
    [InlineData(38)]
    [InlineData(316)]
    public void The_buffer_stays_within_its_cap_when_a_partition_is_assigned_while_all_are_paused(int seed)
    {
        var result = SimWorld.Run(ScheduleGenerator.For(seed) with { Pipeline = Pipelines.Pipeline.Plain });

        Assert.Null(result.Violation);
    }

    /// <summary>
    /// At-most-once handled a fetched batch even when the commit before it failed (or was refused
    /// during a rebalance): its handlers ran with the offsets uncommitted, so a crash or a rebalance
    /// would hand them to a handler again. Seed 3: a failed commit, then appended messages run. A
    /// partition whose commit does not land now runs nothing of the batch; it is read again.
    /// </summary>
    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(12)]
    public void At_most_once_never_handles_a_batch_whose_commit_did_not_land(int seed)
    {
        var result = SimWorld.Run(ScheduleGenerator.For(seed, pipeline: Pipelines.Pipeline.AtMostOnce));

        Assert.Null(result.Violation);
    }

    /// <summary>
    /// Churn seed 0 (persisted completions, the process killed every 1-3 s, commit interval 5 s):
    /// persisted completions committed only at the interval, so nothing was ever committed
    /// between kills and p0 stayed at 46 of 78 while it was handled again and again. They now
    /// commit early, as watermark commits do, once the head moved half the run-ahead limit.
    /// </summary>
    [Fact]
    public void Persisted_completions_keep_progressing_under_kills_faster_than_the_commit_interval()
    {
        var schedule = ScheduleGenerator.Churn(0);
        Assert.True(schedule.PersistCompletions);

        var result = SimWorld.Run(schedule);

        Assert.Null(result.Violation);
    }

    /// <summary>
    /// Seed 5562: p0 had nothing to read for seconds (and the wall clock jumped 3.4 s ahead); three
    /// messages were appended and the stall watchdog reported p0 stalled 3 ms later, at its first
    /// look after the append, while the fetch was on its way. It counted idle time with nothing to
    /// read as stalled time; a look that finds nothing to read now restarts the idle time.
    /// </summary>
    [Fact]
    public void A_message_after_a_long_idle_spell_is_not_reported_as_a_stall()
    {
        var result = SimWorld.Run(ScheduleGenerator.For(5562));

        Assert.Null(result.Violation);
    }

    /// <summary>
    /// Exactly-once seeds 406, 5310 and 6711: an aborted transaction rewound the owned partitions
    /// into fresh partition states whose idle time was never set, so the stall watchdog counted
    /// from long before the rewind and reported a partition stalled right after it (found once the
    /// watchdog's report became a violation and the pipelines met in one simulator). A rewound
    /// partition is now idle from the rewind, as a new assignment is.
    /// </summary>
    [Theory]
    [InlineData(406)]
    [InlineData(5310)]
    [InlineData(6711)]
    public void A_partition_rewound_by_an_aborted_transaction_is_not_reported_stalled(int seed)
    {
        var result = SimWorld.Run(ScheduleGenerator.For(seed, pipeline: Pipelines.Pipeline.ExactlyOnce));

        Assert.Null(result.Violation);
    }

    /// <summary>
    /// Exactly-once under key or unordered ordering: a transaction holds outputs of messages
    /// finished above an unfinished one, so its offsets carry them in their metadata (persisted
    /// completions), and a restart skips them instead of writing them again.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(9)]
    public void Exactly_once_under_key_ordering_commits_the_outputs_above_an_unfinished_input_with_their_offsets(int seed)
    {
        var result = SimWorld.Run(ScheduleGenerator.For(seed, pipeline: Pipelines.Pipeline.ExactlyOnceAnyOrdering));

        Assert.Null(result.Violation);
    }

    /// <summary>
    /// Two members, exactly-once: a member whose poll thread waited for a slow handler (the gate)
    /// lost its partition meanwhile; the group gave it to the other member and, once that one was
    /// killed (66) or lost it too (102), back to the first, whose lost callback had not run yet. Its
    /// transaction then committed outputs of inputs the other member had committed already. A
    /// model error, not the engine's: a KIP-447 broker checks the generation a transaction's
    /// offsets carry, and a member that lost its partitions is out of the group until its lost
    /// callback has run (librdkafka joins again only after it), so the simulated broker now refuses
    /// them as a real one does, and the zombie's transaction aborts.
    /// </summary>
    [Theory]
    [InlineData(66)]
    [InlineData(102)]
    public void A_member_that_lost_its_partitions_cannot_commit_a_transaction_with_them_before_its_lost_callback(int seed)
    {
        var result = SimWorld.Run(ScheduleGenerator.For(seed, pipeline: Pipelines.Pipeline.ExactlyOnce, members: 2));

        Assert.Null(result.Violation);
    }

    /// <summary>
    /// Exactly-once, two members (16, 324, 399): a commit waited seconds for a slow handler, the
    /// transaction aborted and rewound its partitions (idle from the rewind), and the feeder then
    /// stamped the partitions' first messages with its batch's start, from before the wait, so the
    /// stall watchdog counted the wait (with a clock jump, over its timeout) and reported a
    /// partition stalled. A delivery no longer moves a partition's idle time back. Seed 494 (any
    /// ordering, one member): a revoke kept its partition and waited 6 s for a handler, then a
    /// clock jump: the wait was counted as idle time. A gate wait is no longer idle time
    /// (<see cref="Processing.Engine.ReintroducedBugs.GateWaitCountsAsIdle"/>).
    /// </summary>
    [Theory]
    [InlineData(16, 2)]
    [InlineData(324, 2)]
    [InlineData(399, 2)]
    [InlineData(494, 1)]
    public void Waiting_for_handlers_in_an_exactly_once_commit_is_not_reported_as_a_stall(int seed, int members)
    {
        var pipeline = members == 1 ? Pipelines.Pipeline.ExactlyOnceAnyOrdering : Pipelines.Pipeline.ExactlyOnce;
        var result = SimWorld.Run(ScheduleGenerator.For(seed, pipeline: pipeline, members: members));

        Assert.Null(result.Violation);
    }

    /// <summary>
    /// Any-ordering seed 5524 and <c>--large</c> seeds 29 and 31: every transaction commit waited
    /// for every running handler, the user's code included, so with slow handlers (3.5-6 s) and
    /// late acknowledgements a commit landed every 4-5 s with a few messages, aborts rewound what
    /// little ran, and a partition made no progress for 30 s (or the run did not commit
    /// everything within 5 minutes). A message now holds the commit gate only from its first
    /// output write until it is finished; a message whose partition went meanwhile writes nothing.
    /// </summary>
    [Theory]
    [InlineData(5524, false)]
    [InlineData(29, true)]
    [InlineData(31, true)]
    public void Exactly_once_commits_wait_only_for_messages_that_wrote_outputs(int seed, bool large)
    {
        var pipeline = large ? Pipelines.Pipeline.ExactlyOnce : Pipelines.Pipeline.ExactlyOnceAnyOrdering;

        var result = SimWorld.Run(ScheduleGenerator.For(seed, large, pipeline));

        Assert.Null(result.Violation);
    }

    /// <summary>
    /// <c>--large</c> forwarding seed 898 and exactly-once seed 4533: model limits, not engine
    /// faults. 898's window of 4 outputs, shared by 6 partitions, admitted nothing for about 5 s
    /// at a time behind late acknowledgements, and a partition waited 30 s (a large schedule's
    /// window now holds 1-4 per partition). 4533 commits steadily but needs 331 simulated
    /// seconds (partition ordering, commits that wait for handlers): past 5 minutes a run now
    /// fails only once it stops committing.
    /// </summary>
    [Theory]
    [InlineData(898, nameof(Pipelines.Pipeline.Forwarding))]
    [InlineData(4533, nameof(Pipelines.Pipeline.ExactlyOnce))]
    public void Large_schedules_slow_by_the_model_settle(int seed, string pipeline)
    {
        var result = SimWorld.Run(ScheduleGenerator.For(seed, large: true, Enum.Parse<Pipelines.Pipeline>(pipeline)));

        Assert.Null(result.Violation);
    }
}

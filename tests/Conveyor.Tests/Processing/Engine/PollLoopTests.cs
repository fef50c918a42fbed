using Confluent.Kafka;
using Conveyor.DeadLetters;
using Conveyor.Processing;
using static Conveyor.Tests.Processing.Engine.EngineHarness;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// The poll loop with a fake consumer: rebalances arrive inside <c>Consume</c>, as librdkafka
/// delivers them, and the tests hold handlers to choose what is in flight when they do.
/// </summary>
public sealed class PollLoopTests : IAsyncLifetime
{
    /// <summary>
    /// How long a test watches for something that must not happen (a revoke or a stop returning
    /// while a handler still runs). Only a broken engine is affected by it: it makes the break show.
    /// </summary>
    private static readonly TimeSpan StillBlocked = TimeSpan.FromMilliseconds(200);

    private EngineHarness _engine = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _engine.DisposeAsync();

    [Fact]
    public async Task Messages_of_assigned_partitions_reach_the_handler_one_at_a_time_per_key_in_offset_order()
    {
        var consumer = await _engine.StartAsync();
        consumer.Append(P0, "a"); // 0
        consumer.Append(P0, "b"); // 1
        consumer.Append(P0, "a"); // 2
        consumer.Append(P0, "b"); // 3
        consumer.Append(P1, "a"); // 0, another partition: its own lane
        consumer.Append(P2, "a"); // never assigned
        _engine.Hold(P0, 0);

        await consumer.GroupAssigns(P0, P1).Returned;

        // Key b and the other partition run past the held a@0; a@2 waits behind it in its lane.
        await _engine.Finished(P0, 3);
        await _engine.Finished(P1, 0);
        Assert.False(_engine.HasStarted(P0, 2));

        _engine.Release(P0, 0);
        await _engine.Finished(P0, 2);

        Assert.False(_engine.KeyOverlapped);
        var p0 = _engine.FinishOrder.Where(m => m.Message.TopicPartition == P0).ToList();
        Assert.Equal([0L, 2], p0.Where(m => m.Key == "a").Select(m => m.Message.Offset.Value));
        Assert.Equal([1L, 3], p0.Where(m => m.Key == "b").Select(m => m.Message.Offset.Value));
        Assert.DoesNotContain(_engine.StartOrder, m => m.Message.TopicPartition == P2);
    }

    [Fact]
    public async Task A_message_for_another_group_is_finished_without_handling_and_committed_past()
    {
        var consumer = await _engine.StartAsync();
        consumer.Append(P0, "a", headers: [new Header(DeadLetterHeaders.TargetGroup, "other-group"u8.ToArray())]); // 0: another group's replay
        consumer.Append(P0, "b", headers: [new Header(DeadLetterHeaders.TargetGroup, System.Text.Encoding.UTF8.GetBytes(_engine.Options.GroupId))]); // 1: ours
        consumer.Append(P0, "c"); // 2: anyone's
        await consumer.GroupAssigns(P0).Returned;
        await Task.WhenAll(_engine.Finished(P0, 1), _engine.Finished(P0, 2));

        await consumer.GroupRevokes(P0).Returned;

        Assert.False(_engine.HasStarted(P0, 0));
        Assert.Equal([new TopicPartitionOffset(P0, 3)], Assert.Single(consumer.Commits).Offsets.Select(o => o.Offset));
    }

    [Fact]
    public async Task A_revoke_waits_for_the_running_handler_and_then_commits_everything_finished()
    {
        var consumer = await StartWithP0sMiddleMessageRunningAsync();

        var revoke = consumer.GroupRevokes(P0);
        await revoke.Started;
        var returnedWhileRunning = await CompletesWithin(revoke.Returned, StillBlocked);
        Assert.Empty(consumer.Commits);

        _engine.Release(P0, 1);
        await revoke.Returned;

        Assert.False(returnedWhileRunning);
        var commit = Assert.Single(consumer.Commits);
        Assert.Equal([new TopicPartitionOffset(P0, 3)], commit.Offsets.Select(o => o.Offset));
        Assert.Contains($"revoked {P0}", _engine.Observer.Events);
    }

    [Fact]
    public async Task A_revoke_that_times_out_commits_nothing_past_the_unfinished_message()
    {
        _engine = new EngineHarness(Defaults() with { RevokeTimeout = TimeSpan.FromMilliseconds(100) });
        var consumer = await StartWithP0sMiddleMessageRunningAsync();

        await consumer.GroupRevokes(P0).Returned;
        _engine.Release(P0, 1);
        await _engine.Finished(P0, 1);
        await _engine.StopAsync();

        // Offset 2 finished too, but above the unfinished 1: only the metadata may say so.
        var commit = Assert.Single(consumer.Commits);
        Assert.Equal([new TopicPartitionOffset(P0, 1)], commit.Offsets.Select(o => o.Offset));
        Assert.Equal(1, consumer.CommittedOffset(P0));
    }

    [Fact]
    public async Task Lost_partitions_are_never_committed()
    {
        var consumer = await _engine.StartAsync();
        consumer.Append(P0, "a");
        consumer.Append(P0, "b");
        consumer.Append(P1, "a");
        _engine.Hold(P0, 1);
        await consumer.GroupAssigns(P0, P1).Returned;
        await Task.WhenAll(_engine.Finished(P0, 0), _engine.Finished(P1, 0), _engine.Started(P0, 1));

        await consumer.GroupLoses(P0).Returned;
        _engine.Release(P0, 1);
        await _engine.Finished(P0, 1);
        await _engine.StopAsync();

        // The stop commits what it still owns: the other partition, never the lost one.
        Assert.Contains($"lost {P0}", _engine.Observer.Events);
        Assert.Null(consumer.CommittedOffset(P0));
        Assert.DoesNotContain(consumer.Commits.SelectMany(c => c.Offsets), o => o.Offset.TopicPartition == P0);
        Assert.Equal(1, consumer.CommittedOffset(P1));
    }

    [Fact]
    public async Task A_failed_commit_is_tried_again_with_the_same_offsets_and_never_past_an_unfinished_message()
    {
        _engine = new EngineHarness(Defaults() with { CommitEveryMessages = 2 });
        var consumer = await _engine.StartAsync();
        consumer.FailCommits(1);
        consumer.Append(P0, "a");
        consumer.Append(P0, "b");
        consumer.Append(P0, "c");
        _engine.Hold(P0, 2);
        await consumer.GroupAssigns(P0).Returned;

        // Two finished messages make a commit due; it fails once and is tried again (after the retry delay).
        await consumer.WaitUntilAsync(() => consumer.CommittedOffset(P0) is not null);

        var commits = consumer.Commits;
        Assert.Equal(2, commits.Count);
        Assert.True(commits[0].Failed);
        Assert.False(commits[1].Failed);
        Assert.Equal([new TopicPartitionOffset(P0, 2)], commits[0].Offsets.Select(o => o.Offset));
        Assert.Equal([new TopicPartitionOffset(P0, 2)], commits[1].Offsets.Select(o => o.Offset));
        var failure = Assert.Single(_engine.Observer.CommitFailures);
        Assert.Equal(ErrorCode.RequestTimedOut, failure.Error.Code);

        _engine.Release(P0, 2);
        await _engine.StopAsync();
        Assert.Equal(3, consumer.CommittedOffset(P0));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_partition_given_back_after_a_refused_revoke_commit_skips_only_what_this_member_finished(bool persist)
    {
        _engine = new EngineHarness(Defaults() with { PersistCompletions = persist, RevokeTimeout = TimeSpan.FromMilliseconds(100) });
        var consumer = await _engine.StartAsync();
        for (var i = 0; i < 4; i++)
        {
            consumer.Append(P0, $"k{i}");
        }

        _engine.Hold(P0, 1); // still running when the revoke gives up on it
        await consumer.GroupAssigns(P0).Returned;
        await Task.WhenAll(_engine.Finished(P0, 0), _engine.Finished(P0, 2), _engine.Finished(P0, 3), _engine.Started(P0, 1));

        consumer.FailCommits(1); // the revoke's commit is refused, as during a classic rebalance
        await consumer.GroupRevokes(P0).Returned;
        Assert.Null(consumer.CommittedOffset(P0));
        _engine.Release(P0, 1);
        consumer.Append(P0, "k4");
        await consumer.GroupAssigns(P0).Returned; // the partition comes straight back

        // Wait for every message the new assignment handles, not only the last: a stop drops the
        // messages not yet started, and a worker handed one starts it a moment later on the
        // thread pool, so 4 may finish before 1 (or, not persisted, 0, 2 or 3) has started.
        long[] handledAgain = persist ? [1] : [0, 1, 2, 3];
        await Task.WhenAll([_engine.Finished(P0, 4), .. handledAgain.Select(offset => _engine.Finished(P0, offset, times: 2))]);
        await _engine.StopAsync();

        var starts = _engine.StartOrder.GroupBy(m => m.Message.Offset.Value).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(2, starts[1]); // unfinished at the revoke: handled again in both modes
        Assert.Equal(1, starts[4]);
        Assert.All([0L, 2, 3], offset => Assert.Equal(persist ? 1 : 2, starts[offset]));
        Assert.Equal(5, consumer.CommittedOffset(P0));
    }

    [Fact]
    public async Task A_retry_left_waiting_by_a_revoke_never_drops_the_next_assignments_messages_of_its_key()
    {
        var backOff = TimeSpan.FromMilliseconds(300);
        _engine = new EngineHarness(Defaults() with { Retry = new RetryOptions { MaxAttempts = 3, InitialDelay = backOff, MaxDelay = backOff } });
        var consumer = await _engine.StartAsync();
        consumer.Append(P0, "k"); // 0: fails once, then waits out its back-off on no worker
        consumer.Append(P0, "k"); // 1: behind it in the key's lane
        _engine.FailOnce(P0, 0);
        await consumer.GroupAssigns(P0).Returned;
        await _engine.Started(P0, 0);

        // Revoked during the back-off (a revoke does not wait for one) and assigned straight back:
        // the new assignment fetches 0 and 1 again. When the old attempt's back-off ends, it is
        // dropped with its lane, which must not take the new assignment's messages with it.
        await consumer.GroupRevokes(P0).Returned;
        await consumer.GroupAssigns(P0).Returned;
        await Task.WhenAll(_engine.Finished(P0, 0), _engine.Finished(P0, 1));
        await _engine.StopAsync();

        Assert.Equal(2, consumer.CommittedOffset(P0));
        Assert.False(_engine.KeyOverlapped);
    }

    [Fact]
    public async Task Back_pressure_pauses_a_stuck_partition_only_and_resumes_it_once_its_handlers_catch_up()
    {
        // The total buffer must not be relaxed (a quarter full) either: that resumes a paused partition however stuck.
        _engine = new EngineHarness(Defaults() with { MaxBufferedMessagesPerPartition = 2, MaxBufferedMessages = 8 });
        var consumer = await _engine.StartAsync();
        for (var i = 0; i < 4; i++)
        {
            consumer.Append(P0, "stuck"); // one lane: all wait behind the held first one
        }

        _engine.Hold(P0, 0);
        await consumer.GroupAssigns(P0, P1).Returned;

        // Past its limit and its head not moving: paused (after the engine's stuck time).
        await consumer.WaitUntilAsync(() => consumer.IsPaused(P0));
        consumer.Append(P1, "free");
        await _engine.Finished(P1, 0); // the other partition still flows
        Assert.False(consumer.IsPaused(P1));
        Assert.Contains(_engine.Observer.BackPressure, b => b.Paused && b.Partitions.SequenceEqual([P0]));

        _engine.Release(P0, 0);
        await consumer.WaitUntilAsync(() => !consumer.IsPaused(P0));
        var next = consumer.Append(P0, "stuck");
        await _engine.Finished(P0, next); // fetched again

        Assert.Contains(_engine.Observer.BackPressure, b => !b.Paused && b.Partitions.SequenceEqual([P0]));
        Assert.Equal([$"pause {P0}", $"resume {P0}"], consumer.Calls.Where(c => c.StartsWith("pause", StringComparison.Ordinal) || c.StartsWith("resume", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Back_pressure_does_not_pause_a_partition_that_only_waits_its_turn_for_a_worker()
    {
        _engine = new EngineHarness(Defaults() with { MaxConcurrency = 1, MaxBufferedMessagesPerPartition = 2, MaxBufferedMessages = 16 });
        var consumer = await _engine.StartAsync();
        consumer.Append(P0, "stuck");
        _engine.Hold(P0, 0);
        await consumer.GroupAssigns(P0, P1).Returned;
        await _engine.Started(P0, 0); // the one worker is busy from now on

        // P1 is past its limit and its head does not move, but only because its messages wait for a worker.
        for (var i = 0; i < 4; i++)
        {
            consumer.Append(P1, $"k{i}");
        }

        await consumer.WaitUntilAsync(() => consumer.Position(P1) == 4);

        // P0 fills up behind its own running handler, fetched after P1: stuck, and paused no
        // earlier than P1 would be if waiting for a worker counted as stuck.
        for (var i = 0; i < 3; i++)
        {
            consumer.Append(P0, "stuck");
        }

        await consumer.WaitUntilAsync(() => consumer.IsPaused(P0));
        Assert.False(consumer.IsPaused(P1));

        _engine.Release(P0, 0);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => _engine.Finished(P1, i)));
        Assert.DoesNotContain(consumer.Calls, c => c == $"pause {P1}");
        Assert.DoesNotContain(_engine.Observer.BackPressure, b => b.Partitions.Contains(P1));
    }

    [Fact]
    public async Task A_partition_past_its_limit_is_paused_while_another_starves_behind_its_fetches()
    {
        // The fake consumer, like librdkafka's queue, hands out all it has of P0 before anything of
        // P1; the small total buffer keeps P0's backlog (far more than a second's worth) in the
        // consumer, so P1's messages never come while P0 is fetched.
        _engine = new EngineHarness(Defaults() with { MaxConcurrency = 1, MaxBufferedMessagesPerPartition = 2, MaxBufferedMessages = 10 });
        var consumer = await _engine.StartAsync();
        for (var i = 0; i < 100_000; i++)
        {
            consumer.Append(P0, $"k{i % 100}");
        }

        for (var i = 0; i < 5; i++)
        {
            consumer.Append(P1, $"k{i}");
        }

        await consumer.GroupAssigns(P0, P1).Returned;

        // P0's handlers keep up (not stuck), but P1 has messages to read and none buffered: P0 alone
        // is paused (a full total buffer may pause both for a while too), and P1's messages come.
        await _engine.Finished(P1, 4);
        Assert.False(_engine.HasFinished(P0, 99_999)); // P1 did not wait for P0's backlog
        Assert.Contains(_engine.Observer.BackPressure, b => b.Paused && b.Partitions.SequenceEqual([P0]));
    }

    [Fact]
    public async Task Partitions_behind_a_full_buffer_each_get_handled_before_the_first_one_drains_half_of_it()
    {
        // The fake consumer hands out a partition's whole log before the next one's, as
        // librdkafka hands out whole fetches; P0's first fetch fills the buffer in one turn of
        // the loop, before the handlers have shown their pace. They (10 ms, four at once) need
        // longer than the engine's patience to get through it, so the others must get in by
        // pausing P0 and passing over each other, not by waiting for half the buffer to drain
        // with every partition paused.
        var options = Defaults() with { MaxConcurrency = 4, MaxBufferedMessages = 500, MaxBufferedMessagesPerPartition = 50 };
        _engine = new EngineHarness(options, handlerTime: TimeSpan.FromMilliseconds(10));
        var consumer = await _engine.StartAsync();

        // Workers that have handled messages already: a cold start (threads, compiling) would
        // leave the whole buffer unhandled for a while on a busy machine.
        var warmUp = new TopicPartition("orders", 9);
        for (var i = 0; i < 8; i++)
        {
            consumer.Append(warmUp, $"w{i}");
        }

        await consumer.GroupAssigns(warmUp).Returned;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => _engine.Finished(warmUp, i)));

        TopicPartition[] partitions = [P0, P1, P2, new("orders", 3)];
        foreach (var partition in partitions)
        {
            for (var i = 0; i < 2_000; i++)
            {
                consumer.Append(partition, $"k{i % 100}");
            }
        }

        await consumer.GroupAssigns(partitions).Returned;
        await Task.WhenAll(partitions.Select(p => _engine.Started(p, 0)));

        var order = _engine.StartOrder.Where(s => s.Message.TopicPartition != warmUp).ToList();
        var lastFirst = partitions.Max(p => order.FindIndex(s => s.Message.TopicPartition == p));
        Assert.True(lastFirst < options.MaxBufferedMessages / 2, $"the last partition's first message started after {lastFirst} others");
        Assert.False(_engine.KeyOverlapped);
    }

    [Fact]
    public async Task Stopping_drains_the_running_handler_then_commits_then_closes_the_consumer()
    {
        var consumer = await _engine.StartAsync();
        consumer.Append(P0, "a");
        consumer.Append(P0, "b");
        _engine.Hold(P0, 1);
        await consumer.GroupAssigns(P0).Returned;
        await Task.WhenAll(_engine.Finished(P0, 0), _engine.Started(P0, 1));

        var stopped = _engine.StopAsync();
        var stoppedWhileRunning = await CompletesWithin(stopped, StillBlocked);
        Assert.False(consumer.Closed);

        _engine.Release(P0, 1);
        await stopped;

        Assert.False(stoppedWhileRunning);
        Assert.True(consumer.Closed);
        Assert.True(consumer.Disposed);
        Assert.Equal([$"commit {new TopicPartitionOffset(P0, 2)}", "close"], consumer.Calls);
    }

    /// <summary>Starts with three messages of P0 assigned: 0 and 2 finished, 1's handler held running.</summary>
    private async Task<FakeConsumer> StartWithP0sMiddleMessageRunningAsync()
    {
        var consumer = await _engine.StartAsync();
        consumer.Append(P0, "a");
        consumer.Append(P0, "b");
        consumer.Append(P0, "c");
        _engine.Hold(P0, 1);
        await consumer.GroupAssigns(P0).Returned;
        await Task.WhenAll(_engine.Finished(P0, 0), _engine.Finished(P0, 2), _engine.Started(P0, 1));
        return consumer;
    }

    /// <summary>Whether <paramref name="task"/> completes within <paramref name="time"/>: for what must not happen yet.</summary>
    private static async Task<bool> CompletesWithin(Task task, TimeSpan time) =>
        await Task.WhenAny(task, Task.Delay(time)) == task;
}

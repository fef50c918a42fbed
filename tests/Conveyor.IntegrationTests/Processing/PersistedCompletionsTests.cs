using System.Collections.Concurrent;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>Completions persisted in the commit metadata, on the embedded broker (which keeps commit metadata, as Kafka does).</summary>
[Collection(RebalanceCollection.Name)]
public class PersistedCompletionsTests(EmbeddedKafkaFixture kafka)
{
    private const int Count = 200;
    private static readonly long[] Blocked = [50, 120];

    [Fact]
    public async Task A_restarted_processor_skips_exactly_the_messages_finished_above_the_committed_offset()
    {
        var (topic, group) = await FirstRunLeavingTwoMessagesUnfinished(persist: true);

        // The first run finished everything but 50 and 120, and could commit only 50.
        Assert.Equal(50, kafka.Committed(group, topic, 1)[0]);

        var observer = new RecordingObserver();
        var handled = new ConcurrentQueue<long>();
        await ProcessorRun.UntilAsync<string>(kafka.Cluster.BootstrapServers, Options(topic, group, persist: true), observer, (message, _) =>
        {
            handled.Enqueue(message.Offset);
            return ValueTask.CompletedTask;
        }, () => handled.Count + observer.Skipped.Count >= Count - 50, properties: GroupProtocols.ShortSession);

        Assert.Equal(Blocked, handled.Order());
        var finishedBefore = Enumerable.Range(51, Count - 51).Select(i => (long)i).Except(Blocked);
        Assert.Equal(finishedBefore, observer.Skipped.Select(s => s.Offset.Value).Order());
        Assert.Equal(Count, kafka.Committed(group, topic, 1)[0]);
        Assert.Empty(observer.CompletionsUnreadable);
    }

    [Fact]
    public async Task Without_persisted_completions_a_restart_handles_everything_from_the_committed_offset_again()
    {
        var (topic, group) = await FirstRunLeavingTwoMessagesUnfinished(persist: false);

        var observer = new RecordingObserver();
        var handled = new ConcurrentQueue<long>();
        await ProcessorRun.UntilAsync<string>(kafka.Cluster.BootstrapServers, Options(topic, group, persist: false), observer, (message, _) =>
        {
            handled.Enqueue(message.Offset);
            return ValueTask.CompletedTask;
        }, () => handled.Count >= Count - 50, properties: GroupProtocols.ShortSession);

        Assert.Equal(Enumerable.Range(50, Count - 50).Select(i => (long)i), handled.Order());
        Assert.Empty(observer.Skipped);
    }

    [Fact]
    public async Task A_partition_whose_map_would_outgrow_the_metadata_bound_waits_for_its_gap_to_close()
    {
        const int count = 5_000;
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, count).Select(i => ((string?)$"k{i}", $"{i}")));

        // 512 bytes hold the finished offsets of 2,944 offsets above the committed one: offset 0
        // stays unfinished until the partition is reported full, so it must be, and until then no
        // message farther than that may be handled (the engine counts fetched ones, finished or not).
        var observer = new RecordingObserver();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = new ConcurrentQueue<long>();
        var gapClosed = false;
        long highestBeforeGapClosed = -1;
        var options = Options(topic, group, persist: true) with { CommitMetadataMaxBytes = 512 };
        await ProcessorRun.UntilAsync<string>(kafka.Cluster.BootstrapServers, options, observer, async (message, ct) =>
        {
            if (message.Offset == 0)
            {
                await release.Task.WaitAsync(ct);
                Volatile.Write(ref gapClosed, true);
            }
            else if (!Volatile.Read(ref gapClosed))
            {
                InterlockedMax(ref highestBeforeGapClosed, message.Offset);
            }

            handled.Enqueue(message.Offset);
        }, () => handled.Count >= count, onEvent: () =>
        {
            if (!observer.CompletionsFull.IsEmpty)
            {
                release.TrySetResult();
            }
        });

        // Reported full at the blocked offset, with nothing handled beyond the span; taking messages
        // again once it finished. (With the gap closed, a busy machine may fill the span again later.)
        var events = observer.CompletionsFull.ToList();
        Assert.Equal((new TopicPartitionOffset(topic, 0, 0), true), events[0]);
        Assert.InRange(highestBeforeGapClosed, -1, 2_944);
        Assert.False(events[1].Full);
        Assert.True(events[1].Unfinished.Offset.Value > 0);
        Assert.Equal(count, handled.Count);
        Assert.Equal(count, handled.Distinct().Count());
        Assert.Equal(count, kafka.Committed(group, topic, 1)[0]);
    }

    [Fact]
    public async Task Metadata_of_another_tool_is_ignored_with_a_warning_and_nothing_is_skipped()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, 20).Select(i => ((string?)$"k{i}", $"{i}")));
        using (var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = kafka.Cluster.BootstrapServers, GroupId = group }).Build())
        {
            Conveyor.Native.OffsetsNative.For(consumer)!.Commit([(new TopicPartitionOffset(topic, 0, 5), "written by another tool")]);
        }

        var observer = new RecordingObserver();
        var handled = new ConcurrentQueue<long>();
        await ProcessorRun.UntilAsync<string>(kafka.Cluster.BootstrapServers, Options(topic, group, persist: true), observer, (message, _) =>
        {
            handled.Enqueue(message.Offset);
            return ValueTask.CompletedTask;
        }, () => handled.Count >= 15);

        var (committed, problem) = Assert.Single(observer.CompletionsUnreadable);
        Assert.Equal(new TopicPartitionOffset(topic, 0, 5), committed);
        Assert.StartsWith("not a Conveyor completion map", problem, StringComparison.Ordinal);
        Assert.Equal(Enumerable.Range(5, 15).Select(i => (long)i), handled.Order());
        Assert.Empty(observer.Skipped);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_partition_handed_back_after_a_refused_revoke_commit_skips_what_this_member_finished(bool persist)
    {
        // An eager group: a second member subscribing to another topic makes the first revoke its
        // partition and get it straight back. The embedded broker refuses the revoke's commit
        // while the group rebalances, so the committed offset stays where it was: nowhere.
        var topic = kafka.CreateTopic(partitions: 1);
        var otherTopic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, Count).Select(i => ((string?)$"k{i}", $"{i}")));
        var client = new KafkaClientProperties(kafka.Cluster.BootstrapServers, GroupProtocols.Properties("eager"));
        var options = new ProcessorOptions
        {
            GroupId = group,
            Topics = [topic],
            PersistCompletions = persist,
            CommitInterval = TimeSpan.FromHours(1), // nothing committed before the rebalance
            IdleCommitDelay = Timeout.InfiniteTimeSpan,
        };
        var handled = new ConcurrentDictionary<long, int>();
        var firstPass = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handledTwice = 0;
        var observer = new RecordingObserver();
        var handedBackAndSettled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void CheckSettled()
        {
            // Handed back, and then every message either skipped (persisted) or handled again.
            if (observer.Assigned.Count >= 2 && (persist ? observer.Skipped.Count >= Count : Volatile.Read(ref handledTwice) >= Count))
            {
                handedBackAndSettled.TrySetResult();
            }
        }

        using var stop = new CancellationTokenSource();
        var attempts = new CommitAttempts();
        var first = new KafkaProcessorBuilder<string, string>(client, options).SetObserver(new CompositeObserver(observer, new Listener(CheckSettled), attempts)).Handle((message, _) =>
        {
            var times = handled.AddOrUpdate(message.Offset, 1, (_, n) => n + 1);
            if (times == 1 && handled.Count == Count)
            {
                firstPass.TrySetResult();
            }
            else if (times == 2)
            {
                Interlocked.Increment(ref handledTwice);
                CheckSettled();
            }

            return ValueTask.CompletedTask;
        }).Build().RunAsync(stop.Token);
        await firstPass.Task.WaitAsync(Timeouts.Flow);

        using var stopOther = new CancellationTokenSource();
        var otherAssigned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var other = new KafkaProcessorBuilder<string, string>(client, options with { Topics = [otherTopic] }).SetObserver(new Listener(() => otherAssigned.TrySetResult())).Handle((_, _) => ValueTask.CompletedTask).Build().RunAsync(stopOther.Token);
        await handedBackAndSettled.Task.WaitAsync(Timeouts.Rebalance * 2);

        // The first member stops first, once the other has its assignment too: until every member
        // has synced, the group still refuses commits, and the stop's commit would too.
        await otherAssigned.Task.WaitAsync(Timeouts.Rebalance);
        var committedBefore = kafka.Committed(group, topic, 1)[0];
        var beforeStop = attempts.Count;
        await stop.CancelAsync();
        await first.WaitAsync(Timeouts.Stop);
        await stopOther.CancelAsync();
        await other.WaitAsync(Timeouts.Stop);

        Assert.NotEmpty(observer.CommitFailures); // the revoke's commit was refused

        // The stop commits once more, past the skipped ones too. Under load a further rebalance
        // can start meanwhile, and the embedded broker refuses every commit while a classic group
        // rebalances. The stop commits once and leaves (the engine README's commit step); a refused
        // commit records nothing, and the next owner handles those messages again (docs/engine.md:
        // handled twice, never lost). The commit it asked for must still have been past them.
        var stopCommits = attempts.Since(beforeStop);
        var log = string.Join(" | ", observer.Log);
        Assert.True(stopCommits.Count > 0 || !observer.Lost.IsEmpty, $"the stop committed nothing though it held the partition: {log}");
        Assert.All(stopCommits, a => Assert.Equal(Count, a.Offset));
        if (stopCommits.Any(a => a.Refused is null))
        {
            Assert.Equal(Count, kafka.Committed(group, topic, 1)[0]);
        }
        else
        {
            Assert.All(stopCommits, a => Assert.True(a.Refused is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration, $"refused with {a.Refused}: {log}"));
            Assert.Equal(committedBefore, kafka.Committed(group, topic, 1)[0]);
        }

        Assert.Equal(Count, handled.Count);
        if (persist)
        {
            // Every message handled once: what the member finished came back with the partition.
            Assert.All(handled.Values, times => Assert.Equal(1, times));
            Assert.Equal(Count, observer.Skipped.Select(s => s.Offset.Value).Distinct().Count());

            // Under load the group may rebalance more than once while the other member joins; each
            // refused revoke commit hands the partition back again, and what was fetched since is
            // skipped again. Skips beyond one per message are allowed only with such extra hand-backs.
            if (observer.Skipped.Count > Count)
            {
                Assert.True(observer.Assigned.Count > 2, $"{observer.Skipped.Count} skips of {Count} messages in {observer.Assigned.Count} assignments");
            }
        }
        else
        {
            // Without persisted completions the hand-back handles everything again. Under load the
            // group may rebalance more than once while the other member joins, and each refused
            // revoke commit hands the partition back again: at most one pass per assignment.
            var assignments = observer.Assigned.Count;
            Assert.All(handled.Values, times => Assert.InRange(times, 2, Math.Max(2, assignments)));
            Assert.Empty(observer.Skipped);
        }
    }

    /// <summary>
    /// Handles a new topic's messages, all but <see cref="Blocked"/>, which wait until the stop gives
    /// up on them. With a short session, so the restart that follows joins the group in seconds.
    /// </summary>
    private async Task<(string Topic, string Group)> FirstRunLeavingTwoMessagesUnfinished(bool persist)
    {
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, Count).Select(i => ((string?)$"k{i}", $"{i}")));

        var finished = 0;
        await ProcessorRun.UntilAsync<string>(kafka.Cluster.BootstrapServers, Options(topic, group, persist), new RecordingObserver(), async (message, ct) =>
        {
            if (Blocked.Contains(message.Offset))
            {
                await Task.Delay(Timeout.Infinite, ct);
            }

            Interlocked.Increment(ref finished);
        }, () => Volatile.Read(ref finished) >= Count - Blocked.Length, properties: GroupProtocols.ShortSession);
        return (topic, group);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Volatile.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) is var seen && seen != current)
        {
            current = seen;
        }
    }

    /// <summary>Every commit the processor made for the test's partition, in order: its offset, and the error if it was refused.</summary>
    private sealed class CommitAttempts : IProcessorObserver
    {
        private readonly ConcurrentQueue<(long Offset, ErrorCode? Refused)> _attempts = new();

        public int Count => _attempts.Count;

        public IReadOnlyList<(long Offset, ErrorCode? Refused)> Since(int index) => [.. _attempts.Skip(index)];

        public void OnCommitted(IReadOnlyList<TopicPartitionOffset> offsets)
        {
            foreach (var offset in offsets)
            {
                _attempts.Enqueue((offset.Offset.Value, null));
            }
        }

        public void OnCommitFailed(IReadOnlyList<TopicPartitionOffset> offsets, Error error)
        {
            foreach (var offset in offsets)
            {
                _attempts.Enqueue((offset.Offset.Value, error.Code));
            }
        }
    }

    /// <summary>Calls back on every assignment and every report of skipped messages.</summary>
    private sealed class Listener(Action heard) : IProcessorObserver
    {
        public void OnPartitionsAssigned(IReadOnlyList<TopicPartition> partitions) => heard();

        public void OnFinishedSkipped(IReadOnlyList<TopicPartitionOffset> messages) => heard();
    }

    private static ProcessorOptions Options(string topic, string group, bool persist) => new()
    {
        GroupId = group,
        Topics = [topic],
        Ordering = OrderingMode.Unordered,
        PersistCompletions = persist,
        CommitInterval = TimeSpan.FromMilliseconds(200),
        ShutdownTimeout = TimeSpan.FromMilliseconds(500),
        Retry = new RetryOptions { MaxAttempts = 1 },
    };
}

using System.Collections.Concurrent;
using Confluent.Kafka;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>Completions persisted in the commit metadata, on the embedded broker (which keeps commit metadata, as Kafka does).</summary>
[Collection(EmbeddedKafkaCollection.Name)]
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
        }, () => handled.Count + observer.Skipped.Count >= Count - 50);

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
        }, () => handled.Count >= Count - 50);

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

    /// <summary>Handles a new topic's messages, all but <see cref="Blocked"/>, which wait until the stop gives up on them.</summary>
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
        }, () => Volatile.Read(ref finished) >= Count - Blocked.Length);
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

using Confluent.Kafka;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Conveyor.Testing;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>Commit every N messages, commits of quiet partitions and asynchronous commits, on the embedded broker.</summary>
[Collection(ProcessingCollection.Name)]
public class CommitOptionsTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task Commit_every_N_messages_commits_while_running_long_before_the_interval()
    {
        const int count = 60;
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, count).Select(i => ((string?)"k", $"{i}")));

        // One message at a time, each waiting until the commit covering the message 10 before it
        // was seen: only commits triggered by the message count can let the run go on.
        var observer = new RecordingObserver();
        var options = Options(topic, group) with { CommitInterval = TimeSpan.FromHours(1), CommitEveryMessages = 10, Ordering = OrderingMode.Partition };
        var committedWhileRunning = await RunUntil(options, observer, async (message, ct) =>
        {
            if (message.Offset % 10 == 0 && message.Offset > 0)
            {
                await observer.WaitForCommittedSum(message.Offset, Timeouts.Flow).WaitAsync(ct);
            }
        }, () => observer.CommittedSum >= count);

        Assert.True(committedWhileRunning >= count - 10, $"committed {committedWhileRunning} before the stop");
        var commits = observer.Committed.Select(c => c.Offset.Value).ToList();
        Assert.True(commits.Count >= count / 10, $"commits: {string.Join(", ", commits)}");
        Assert.All(commits.Zip(commits.Skip(1)), pair => Assert.True(pair.Second - pair.First <= 10 || pair.Second == count, $"commits: {string.Join(", ", commits)}"));
        Assert.Equal(count, kafka.Committed(group, topic, 1)[0]);
    }

    [Fact]
    public async Task A_processor_whose_input_stops_commits_its_last_messages_without_waiting_for_the_interval()
    {
        const int count = 50;
        var topic = kafka.CreateTopic(partitions: 3);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, count).Select(i => ((string?)$"key-{i}", $"{i}")));

        // An hour's interval: only the commit of the partitions gone quiet (IdleCommitDelay, 100 ms
        // by default) can cover every message before the stop.
        var observer = new RecordingObserver();
        var options = Options(topic, group) with { CommitInterval = TimeSpan.FromHours(1) };
        var committedWhileRunning = await RunUntil(options, observer, (_, _) => ValueTask.CompletedTask, () => observer.CommittedSum >= count);

        Assert.Equal(count, committedWhileRunning);
        Assert.Equal(count, kafka.Committed(group, topic, 3).Values.Sum());
    }

    [Fact]
    public async Task Asynchronous_commits_never_move_an_offset_backwards_and_lose_nothing_when_commits_fail()
    {
        const int count = 3_000;
        var topic = kafka.CreateTopic(partitions: 4);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, count).Select(i => ((string?)$"key-{i % 50}", $"{i}")));

        // A message may start only once its partition's commit is within 150 offsets of it, so
        // handling cannot race ahead of the commits: every partition needs several of them.
        var observer = new RecordingObserver();
        var pulse = new CommitPulse();
        var options = Options(topic, group) with { CommitMode = OffsetCommitMode.Asynchronous, CommitInterval = TimeSpan.FromMilliseconds(10), Ordering = OrderingMode.Unordered, MaxConcurrency = 16 };
        kafka.Cluster.InjectRequestErrors(KafkaApiKey.OffsetCommit,
            ErrorCode.RequestTimedOut, ErrorCode.NotCoordinatorForGroup, ErrorCode.RequestTimedOut, ErrorCode.GroupLoadInProgress);
        try
        {
            await RunUntil(options, observer, async (message, ct) =>
            {
                var partition = new TopicPartition(message.Topic, message.Partition);
                await pulse.WaitUntil(() => Latest(observer, partition) >= message.Offset - 150, Timeouts.Flow, ct);
            }, () => observer.CommittedSum >= count, pulse.Pulse);
        }
        finally
        {
            kafka.Cluster.ClearRequestErrors(KafkaApiKey.OffsetCommit);
        }

        foreach (var partition in observer.Committed.GroupBy(c => c.Partition.Value))
        {
            var sequence = partition.Select(c => c.Offset.Value).ToList();
            Assert.True(sequence.SequenceEqual(sequence.Order()), $"partition {partition.Key} committed out of order: {string.Join(", ", sequence)}");
        }

        // Commits overlap with handling (each is merged with the requests made while one is in flight).
        Assert.All(observer.Committed.GroupBy(c => c.Partition.Value), p => Assert.True(p.Count() >= 3, $"partition {p.Key}: {p.Count()} commits"));
        Assert.NotEmpty(observer.CommitFailures); // the injected errors failed some commits
        Assert.Equal(count, kafka.Committed(group, topic, 4).Values.Sum());
    }

    [Fact]
    public async Task Asynchronous_commits_are_flushed_by_the_stop()
    {
        const int count = 200;
        var topic = kafka.CreateTopic(partitions: 2);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, count).Select(i => ((string?)$"key-{i}", $"{i}")));

        var handled = 0;
        var observer = new RecordingObserver();
        var options = Options(topic, group) with { CommitMode = OffsetCommitMode.Asynchronous, CommitInterval = TimeSpan.FromHours(1), IdleCommitDelay = Timeout.InfiniteTimeSpan };
        var committedWhileRunning = await RunUntil(options, observer, (_, _) =>
        {
            Interlocked.Increment(ref handled);
            return ValueTask.CompletedTask;
        }, () => Volatile.Read(ref handled) >= count);

        Assert.Equal(0, committedWhileRunning);
        Assert.Equal(count, kafka.Committed(group, topic, 2).Values.Sum());
    }

    private static ProcessorOptions Options(string topic, string group) => new()
    {
        GroupId = group,
        Topics = [topic],
        CommitInterval = TimeSpan.FromMilliseconds(200),
    };

    private static long Latest(RecordingObserver observer, TopicPartition partition) =>
        observer.Committed.Where(c => c.TopicPartition == partition).Select(c => c.Offset.Value).DefaultIfEmpty(0).Max();

    /// <summary>Lets handlers wait for a condition on the observer's state, re-checked after every event.</summary>
    private sealed class CommitPulse
    {
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Pulse() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

        public async Task WaitUntil(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                var next = Volatile.Read(ref _next);
                if (condition())
                {
                    return;
                }

                await next.Task.WaitAsync(deadline - DateTime.UtcNow, cancellationToken);
            }
        }
    }

    /// <summary>Runs a processor until <paramref name="done"/> holds, then stops it cleanly; returns the committed sum seen before the stop.</summary>
    private async Task<long> RunUntil(ProcessorOptions options, RecordingObserver observer, MessageHandler<string, string> handler, Func<bool> done, Action? onEvent = null)
    {
        long committedBeforeStop = 0;
        await ProcessorRun.UntilAsync(kafka.Cluster.BootstrapServers, options, observer, handler, done, beforeStop: () => committedBeforeStop = observer.CommittedSum, onEvent);
        return committedBeforeStop;
    }
}

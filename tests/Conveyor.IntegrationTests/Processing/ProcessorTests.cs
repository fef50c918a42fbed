using System.Collections.Concurrent;
using System.Globalization;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.DeadLetters;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Conveyor.Testing;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>The processing engine on the embedded broker: nothing lost, order kept, failures never skipped.</summary>
[Collection(ProcessingCollection.Name)]
public class ProcessorTests(EmbeddedKafkaFixture kafka)
{
    private static readonly RetryOptions FastRetry = new() { MaxAttempts = 10, InitialDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(20) };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Nothing_is_lost_when_a_fifth_of_handler_calls_fail_and_some_messages_never_succeed(bool confluentConsume)
    {
        const int count = 2_000;
        var topic = kafka.CreateTopic(partitions: 6);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, count).Select(i => ((string?)$"key-{i % 97}", Id(i))));

        var processed = new ConcurrentDictionary<string, int>();
        var observer = new RecordingObserver();
        var options = Options(topic, group, confluentConsume) with { Retry = FastRetry };
        await RunUntil(options, observer, (message, _) =>
        {
            if (Random.Shared.NextDouble() < 0.2)
            {
                throw new InvalidOperationException("transient failure");
            }

            if (int.Parse(message.Value, CultureInfo.InvariantCulture) % 100 == 0)
            {
                throw new FormatException("this message can never be processed");
            }

            processed.AddOrUpdate(message.Value, 1, (_, n) => n + 1);
            return ValueTask.CompletedTask;
        }, () => processed.Count + observer.DeadLettered.Count >= count);

        var deadLettered = observer.DeadLettered.Select(d => d.Message).ToList();
        Assert.Equal(count / 100, deadLettered.Count);
        Assert.Equal(count - count / 100, processed.Count);
        Assert.NotEmpty(observer.Retries);
        Assert.Equal(count, kafka.Committed(group, topic, 6).Values.Sum());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_dead_lettered_message_keeps_its_content_and_says_where_it_came_from_and_why(bool confluentConsume)
    {
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, [("good", "1"), ("bad", "2"), ("good", "3")]);

        var observer = new RecordingObserver();
        var processed = new ConcurrentQueue<string>();
        var options = Options(topic, group, confluentConsume) with { Retry = FastRetry with { MaxAttempts = 3 } };
        await RunUntil(options, observer, (message, _) =>
        {
            if (message.Key == "bad")
            {
                throw new ArgumentException("bad input");
            }

            processed.Enqueue(message.Value);
            return ValueTask.CompletedTask;
        }, () => processed.Count == 2 && observer.DeadLettered.Count == 1);

        var letter = Assert.Single(KafkaTestClient.ReadToEnd(kafka.Cluster.BootstrapServers, topic + ".dlq", Timeouts.Flow));
        Assert.Equal("bad", letter.Message.Key);
        Assert.Equal("2", letter.Message.Value);
        Assert.Equal(topic, letter.Header(DeadLetterHeaders.SourceTopic));
        Assert.Equal("0", letter.Header(DeadLetterHeaders.SourcePartition));
        Assert.Equal("1", letter.Header(DeadLetterHeaders.SourceOffset));
        Assert.Equal(group, letter.Header(DeadLetterHeaders.ConsumerGroup));
        Assert.Equal("handler", letter.Header(DeadLetterHeaders.FailureKind));
        Assert.Equal(typeof(ArgumentException).FullName, letter.Header(DeadLetterHeaders.ExceptionType));
        Assert.Equal("bad input", letter.Header(DeadLetterHeaders.ExceptionMessage));
        Assert.Contains("ProcessorTests", letter.Header(DeadLetterHeaders.ExceptionStackTrace), StringComparison.Ordinal);
        Assert.Equal("3", letter.Header(DeadLetterHeaders.Attempts));
        Assert.True(DateTimeOffset.Parse(letter.Header(DeadLetterHeaders.FailedAt), CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.Equal(letter.Message.Timestamp.UnixTimestampMs.ToString(CultureInfo.InvariantCulture), letter.Header(DeadLetterHeaders.SourceTimestamp));
        Assert.Equal(3, kafka.Committed(group, topic, 1)[0]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_value_that_cannot_be_deserialized_goes_straight_to_the_dead_letter_topic(bool confluentConsume)
    {
        var topic = kafka.CreateTopic(partitions: 1);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, [("k", "{\"id\":1}"), ("k", "not json")]);

        var observer = new RecordingObserver();
        var handled = new ConcurrentQueue<long>();
        await RunUntil<Payload>(Options(topic, Names.Unique("group"), confluentConsume), observer, (message, _) =>
        {
            handled.Enqueue(message.Value.Id);
            return ValueTask.CompletedTask;
        }, () => handled.Count == 1 && observer.DeadLettered.Count == 1);

        Assert.Empty(observer.Retries);
        var letter = Assert.Single(KafkaTestClient.ReadToEnd(kafka.Cluster.BootstrapServers, topic + ".dlq", Timeouts.Flow));
        Assert.Equal("deserialization", letter.Header(DeadLetterHeaders.FailureKind));
        Assert.Equal("0", letter.Header(DeadLetterHeaders.Attempts));
        Assert.Equal("not json", letter.Message.Value);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Messages_of_one_key_run_in_order_while_keys_run_concurrently(bool confluentConsume)
    {
        const int keys = 20, perKey = 30;
        var topic = kafka.CreateTopic(partitions: 2);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic,
            Enumerable.Range(0, perKey).SelectMany(seq => Enumerable.Range(0, keys).Select(k => ((string?)$"key-{k}", Id(seq)))));

        var seen = new ConcurrentDictionary<string, ConcurrentQueue<int>>();
        var running = 0;
        var mostRunning = 0;
        var total = 0;
        await RunUntil(Options(topic, Names.Unique("group"), confluentConsume) with { MaxConcurrency = 16 }, new RecordingObserver(), async (message, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref mostRunning, now);
            await Task.Delay(Random.Shared.Next(0, 3), ct);
            seen.GetOrAdd(message.Key, _ => new ConcurrentQueue<int>()).Enqueue(int.Parse(message.Value, CultureInfo.InvariantCulture));
            Interlocked.Decrement(ref running);
            Interlocked.Increment(ref total);
        }, () => Volatile.Read(ref total) >= keys * perKey);

        Assert.Equal(keys, seen.Count);
        Assert.All(seen.Values, sequence => Assert.Equal(Enumerable.Range(0, perKey), sequence));
        Assert.True(mostRunning > 2, $"at most {mostRunning} handlers ran at once");
    }

    [Fact]
    public async Task A_message_that_fails_for_good_stops_its_partition_at_that_message()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, 6).Select(i => ((string?)"k", Id(i))));

        var observer = new RecordingObserver();
        var options = Options(topic, group) with { OnFailure = FailureAction.StopPartition, Ordering = OrderingMode.Partition, Retry = FastRetry with { MaxAttempts = 2 } };
        await RunUntil(options, observer, (message, _) =>
            message.Value == "3" ? throw new InvalidOperationException("stuck") : ValueTask.CompletedTask,
            () => !observer.Stopped.IsEmpty);

        Assert.Equal(3, Assert.Single(observer.Stopped).Offset.Value);
        Assert.Equal(3, kafka.Committed(group, topic, 1)[0]);
    }

    [Fact]
    public async Task Stopping_commits_everything_finished()
    {
        var topic = kafka.CreateTopic(partitions: 3);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, 300).Select(i => ((string?)$"k{i}", Id(i))));

        var handled = 0;
        // A long commit interval and no commit of quiet partitions: only the stop itself can have committed.
        var options = Options(topic, group) with { CommitInterval = TimeSpan.FromMinutes(10), IdleCommitDelay = Timeout.InfiniteTimeSpan };
        await RunUntil(options, new RecordingObserver(), (_, _) =>
        {
            Interlocked.Increment(ref handled);
            return ValueTask.CompletedTask;
        }, () => Volatile.Read(ref handled) >= 300);

        Assert.Equal(300, kafka.Committed(group, topic, 3).Values.Sum());
    }

    [Fact]
    public async Task A_full_buffer_pauses_fetching_until_handlers_catch_up()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, 200).Select(i => ((string?)$"k{i}", Id(i))));

        var observer = new RecordingObserver();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = 0;
        var options = Options(topic, Names.Unique("group")) with { MaxBufferedMessagesPerPartition = 20, MaxConcurrency = 4 };
        await RunUntil(options, observer, async (_, ct) =>
        {
            if (observer.BackPressure.IsEmpty)
            {
                await gate.Task.WaitAsync(ct); // hold the first handlers until the partition is paused
            }

            Interlocked.Increment(ref handled);
        }, () =>
        {
            if (observer.BackPressure.Contains(true))
            {
                gate.TrySetResult();
            }

            // The resume comes once the buffer drained, which may be after the last handler.
            return Volatile.Read(ref handled) >= 200 && observer.BackPressure.Contains(false);
        });

        Assert.Equal([true, false], observer.BackPressure.Take(2));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_partition_past_its_own_limit_is_paused_only_when_it_is_stuck(bool stuck)
    {
        const int count = 2_000;
        var topic = kafka.CreateTopic(partitions: 1);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, count).Select(i => ((string?)$"k{i % 10}", Id(i))));

        var observer = new RecordingObserver();
        var handled = 0;
        var options = Options(topic, Names.Unique("group")) with { MaxBufferedMessagesPerPartition = 50, MaxConcurrency = 4 };
        await RunUntil(options, observer, async (message, ct) =>
        {
            if (stuck && message.Offset == 0 && !observer.BackPressure.Contains(true))
            {
                // The partition's first message holds its commit: the buffer passes 50 behind it.
                while (!observer.BackPressure.Contains(true))
                {
                    await Task.Delay(10, ct);
                }
            }
            else
            {
                await Task.Delay(1, ct); // slower than fetching: the buffer passes 50 at once
            }

            Interlocked.Increment(ref handled);
        }, () => Volatile.Read(ref handled) >= count);

        // A partition whose handlers keep up keeps what librdkafka prefetched; one whose lowest
        // unfinished message does not move is paused, then resumed, and every message is handled.
        Assert.Equal(stuck, observer.BackPressure.Contains(true));
        Assert.Equal(count, Volatile.Read(ref handled));
    }

    [Theory]
    [InlineData("messages")]
    [InlineData("bytes")]
    public async Task The_total_limit_pauses_the_partitions_past_their_share_until_the_buffer_drains(string limit)
    {
        const int count = 300;
        var topic = kafka.CreateTopic(partitions: 3);
        var padding = new string('x', 200);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, count).Select(i => ((string?)$"k{i}", $"{Id(i)} {padding}")));

        var observer = new RecordingObserver();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = 0;
        var options = Options(topic, Names.Unique("group")) with
        {
            MaxConcurrency = 2,
            MaxBufferedMessagesPerPartition = 1_000, // never reached: only the total limit can pause
            MaxBufferedMessages = limit == "messages" ? 30 : 10_000,
            MaxBufferedBytes = limit == "bytes" ? 4_096 : 64 * 1024 * 1024,
        };
        await RunUntil(options, observer, async (_, ct) =>
        {
            await gate.Task.WaitAsync(ct); // hold the first handlers until the buffer is full
            Interlocked.Increment(ref handled);
        }, () =>
        {
            if (observer.BackPressure.Contains(true))
            {
                gate.TrySetResult();
            }

            return Volatile.Read(ref handled) >= count;
        });

        // The first pause goes to the partitions holding more than their share of the total (all
        // three only when the handlers free no room for a second); every paused partition resumes.
        var (paused, isPause) = observer.BackPressureEvents.First();
        Assert.True(isPause);
        Assert.InRange(paused.Count, 1, 3);
        var pausedEver = observer.BackPressureEvents.Where(e => e.Paused).SelectMany(e => e.Partitions).ToHashSet();
        var resumedEver = observer.BackPressureEvents.Where(e => !e.Paused).SelectMany(e => e.Partitions).ToHashSet();
        Assert.Subset(resumedEver, pausedEver);
        Assert.Equal(count, Volatile.Read(ref handled));
    }

    [Fact]
    public async Task Failed_commits_are_reported_and_retried_without_loss()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, 50).Select(i => ((string?)"k", Id(i))));

        var observer = new RecordingObserver();
        var handled = 0;
        kafka.Cluster.InjectRequestErrors(KafkaApiKey.OffsetCommit, Confluent.Kafka.ErrorCode.GroupAuthorizationFailed, Confluent.Kafka.ErrorCode.GroupAuthorizationFailed);
        var options = Options(topic, group) with { CommitInterval = TimeSpan.FromMilliseconds(50) };
        await RunUntil(options, observer, (_, _) =>
        {
            Interlocked.Increment(ref handled);
            return ValueTask.CompletedTask;
        }, () => Volatile.Read(ref handled) >= 50 && observer.Committed.Any(c => c.Offset.Value == 50));

        Assert.NotEmpty(observer.CommitFailures);
        Assert.Equal(50, kafka.Committed(group, topic, 1)[0]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Injected_fetch_errors_and_dropped_connections_lose_nothing(bool confluentConsume)
    {
        const int count = 500;
        var topic = kafka.CreateTopic(partitions: 3);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, count).Select(i => ((string?)$"k{i % 7}", Id(i))));

        var handled = new ConcurrentDictionary<string, int>();
        var observer = new RecordingObserver();
        kafka.Cluster.InjectRequestErrors(KafkaApiKey.Fetch,
            Confluent.Kafka.ErrorCode.NotLeaderForPartition, Confluent.Kafka.ErrorCode.RequestTimedOut, Confluent.Kafka.ErrorCode.UnknownTopicOrPart);
        kafka.Cluster.DropConnections(KafkaApiKey.Fetch, 2);
        await ProcessorRun.UntilAsync<string>(kafka.Cluster.BootstrapServers, Options(topic, group, confluentConsume), observer, (message, _) =>
        {
            handled.TryAdd(message.Value, 0);
            return ValueTask.CompletedTask;
        }, () => handled.Count >= count, properties: [new KafkaProperty("debug", "fetch")]); // fetch: the back-offs show

        Assert.Equal(count, handled.Count);
        Assert.Equal(count, kafka.Committed(group, topic, 3).Values.Sum());

        // The faults fired: the client backed off each injected fetch error, and saw its connection dropped.
        foreach (var reason in new[] { "Broker: Not leader for partition", "Broker: Request timed out", "Broker: Unknown topic or partition" })
        {
            Assert.Contains(observer.ClientLog, l => l.Facility == "BACKOFF" && l.Message.Contains(reason, StringComparison.Ordinal));
        }

        Assert.Contains(observer.ClientLog, l => l.Facility == "FAIL" && l.Message.Contains("connection closed by peer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task At_most_once_commits_a_batch_before_handling_it_and_a_failure_is_reported_not_retried()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, 10).Select(i => ((string?)"k", Id(i))));

        var observer = new RecordingObserver();
        var committedWhenHandled = new ConcurrentQueue<(long Offset, long Committed)>();
        var handled = 0;
        var options = Options(topic, group) with { Guarantee = DeliveryGuarantee.AtMostOnce, Retry = new RetryOptions { MaxAttempts = 1 } };
        await RunUntil(options, observer, (message, _) =>
        {
            committedWhenHandled.Enqueue((message.Offset, observer.Committed.Select(c => c.Offset.Value).DefaultIfEmpty(-1).Max()));
            Interlocked.Increment(ref handled);
            return message.Value == "4" ? throw new InvalidOperationException("lost by design") : ValueTask.CompletedTask;
        }, () => Volatile.Read(ref handled) >= 10 && observer.DeadLettered.Count == 1);

        // Every message was already committed (offset + 1 or beyond) when its handler ran.
        Assert.All(committedWhenHandled, h => Assert.True(h.Committed > h.Offset, $"offset {h.Offset} ran with {h.Committed} committed"));
        Assert.Empty(observer.Retries);
        Assert.Equal(4, Assert.Single(observer.DeadLettered).Message.Offset.Value);
    }

    [Fact]
    public async Task A_failure_with_stop_processor_ends_the_run_with_an_error_after_committing_what_is_finished()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, 5).Select(i => ((string?)"k", Id(i))));

        var options = Options(topic, group) with { OnFailure = FailureAction.StopProcessor, Retry = new RetryOptions { MaxAttempts = 1 } };
        var processor = new KafkaProcessorBuilder<string, string>(new KafkaClientProperties(kafka.Cluster.BootstrapServers), options).Handle((message, _) => message.Value == "2" ? throw new InvalidOperationException("fatal for this message") : ValueTask.CompletedTask).Build();

        var error = await Assert.ThrowsAsync<ProcessorStoppedException>(() => processor.RunAsync().WaitAsync(Timeouts.Flow));

        Assert.Equal(ProcessorStopReason.MessageFailed, error.Reason);
        Assert.Contains("fatal for this message", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, kafka.Committed(group, topic, 1)[0]);
    }

    [Fact]
    public async Task An_exception_classified_as_not_retryable_goes_to_the_failure_action_at_once()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, [("k", "1")]);

        var observer = new RecordingObserver();
        var options = Options(topic, Names.Unique("group")) with { Retry = FastRetry with { IsRetryable = e => e is not ArgumentException } };
        await RunUntil(options, observer, (_, _) => throw new ArgumentException("permanent"), () => observer.DeadLettered.Count == 1);

        Assert.Empty(observer.Retries);
        var letter = Assert.Single(KafkaTestClient.ReadToEnd(kafka.Cluster.BootstrapServers, topic + ".dlq", Timeouts.Flow));
        Assert.Equal("1", letter.Header(DeadLetterHeaders.Attempts));
    }

    [Fact]
    public async Task When_the_dead_letter_write_fails_the_partition_stops_instead_of_losing_the_message()
    {
        await using var cluster = EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions { Topics = [new TopicSpec("in", 1), new TopicSpec("in.dlq", 1)] });
        await KafkaTestClient.ProduceAsync(cluster.BootstrapServers, "in", [("k", "0"), ("k", "1"), ("k", "2")]);
        var group = Names.Unique("group");
        var observer = new RecordingObserver();
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Every produce request fails: the dead-letter write cannot be acknowledged.
        cluster.InjectRequestErrors(KafkaApiKey.Produce, Enumerable.Repeat(Confluent.Kafka.ErrorCode.TopicAuthorizationFailed, 50).ToArray());
        var options = Options("in", group) with { Retry = new RetryOptions { MaxAttempts = 1 } };
        var processor = new KafkaProcessorBuilder<string, string>(new KafkaClientProperties(cluster.BootstrapServers), options).SetObserver(CheckingObserver.Create(observer, () =>
            {
                if (!observer.Stopped.IsEmpty)
                {
                    stopped.TrySetResult();
                }
            })).Handle((message, _) => message.Value == "1" ? throw new InvalidOperationException("bad") : ValueTask.CompletedTask).Build();
        await ProcessorRun.WhileAsync(processor, _ => stopped.Task.WaitAsync(Timeouts.Flow));

        Assert.Empty(observer.DeadLettered);
        Assert.Equal(1, Assert.Single(observer.Stopped).Offset.Value);
        Assert.Equal(1, KafkaTestClient.Committed(cluster.BootstrapServers, group, "in", 1)[0]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Work_in_flight_when_the_partitions_are_lost_is_not_committed_and_is_handled_again(bool confluentConsume)
    {
        await using var cluster = EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions { Topics = [new TopicSpec("in", 1)] });
        await KafkaTestClient.ProduceAsync(cluster.BootstrapServers, "in", [("slow", "0"), ("fast", "1")]);
        var group = Names.Unique("group");
        var observer = new RecordingObserver();
        var slowCalls = 0;
        var handled = new ConcurrentQueue<string>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = new KafkaClientProperties(cluster.BootstrapServers,
            [new KafkaProperty("session.timeout.ms", "6000"), new KafkaProperty("heartbeat.interval.ms", "200")]);
        var processor = new KafkaProcessorBuilder<string, string>(client, Options("in", group, confluentConsume)).SetObserver(observer).Handle(async (message, ct) =>
        {
            if (message.Key == "slow" && Interlocked.Increment(ref slowCalls) == 1)
            {
                // The coordinator declares this member's generation stale while the message is running.
                cluster.InjectRequestErrors(KafkaApiKey.Heartbeat, Confluent.Kafka.ErrorCode.IllegalGeneration);
                while (observer.Lost.IsEmpty)
                {
                    await Task.Delay(20, ct);
                }
            }

            handled.Enqueue(message.Value);
            if (handled.Count(v => v == "0") == 2)
            {
                done.TrySetResult();
            }
        }).Build();
        await ProcessorRun.WhileAsync(processor, _ => done.Task.WaitAsync(Timeouts.Flow));

        Assert.Equal(new TopicPartition("in", 0), Assert.Single(observer.Lost));
        Assert.Equal(2, Volatile.Read(ref slowCalls)); // its first finish came after the loss and did not count
        Assert.Equal(2, KafkaTestClient.Committed(cluster.BootstrapServers, group, "in", 1)[0]);
    }

    [Fact]
    public async Task A_handler_slower_than_max_poll_interval_does_not_cost_the_partitions()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, [("k", "slow"), ("k", "next")]);

        var observer = new RecordingObserver();
        var handled = new ConcurrentQueue<string>();
        var client = new KafkaClientProperties(kafka.Cluster.BootstrapServers,
            [new KafkaProperty("session.timeout.ms", "6000"), new KafkaProperty("max.poll.interval.ms", "7000")]);
        using var stop = new CancellationTokenSource();
        var processor = new KafkaProcessorBuilder<string, string>(client, Options(topic, Names.Unique("group"))).SetObserver(observer).Handle(async (message, ct) =>
        {
            if (message.Value == "slow")
            {
                await Task.Delay(TimeSpan.FromSeconds(10), ct); // longer than max.poll.interval.ms
            }

            handled.Enqueue(message.Value);
            if (handled.Count == 2)
            {
                await stop.CancelAsync();
            }
        }).Build();

        await processor.RunAsync(stop.Token).WaitAsync(Timeouts.Flow);

        Assert.Equal(["slow", "next"], handled);
        Assert.Single(observer.Assigned); // assigned once: never kicked out of the group and reassigned
    }

    // confluentConsume: the engine reads with Confluent.Kafka's Consume rather than natively (the theories run both paths).
    private ProcessorOptions Options(string topic, string group, bool confluentConsume = false) => new()
    {
        GroupId = group,
        Topics = [topic],
        CommitInterval = TimeSpan.FromMilliseconds(200),
        ConfluentConsume = confluentConsume,
    };

    private Task RunUntil(ProcessorOptions options, RecordingObserver observer, MessageHandler<string, string> handler, Func<bool> done) =>
        RunUntil<string>(options, observer, handler, done);

    /// <summary>Runs a processor until <paramref name="done"/> holds (checked as events arrive), then stops it cleanly.</summary>
    private Task RunUntil<TValue>(ProcessorOptions options, RecordingObserver observer, MessageHandler<string, TValue> handler, Func<bool> done) =>
        ProcessorRun.UntilAsync(kafka.Cluster.BootstrapServers, options, observer, handler, done);

    private static string Id(int i) => i.ToString(CultureInfo.InvariantCulture);

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    public sealed record Payload(long Id);
}

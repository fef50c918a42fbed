using System.Collections.Concurrent;
using System.Globalization;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Conveyor.Processing.Batching;
using Conveyor.Processing.Forwarding;
using Conveyor.Processing.RetryTopics;

namespace Conveyor.IntegrationTests.RetryTopics;

/// <summary><see cref="FailureAction.RetryTopics"/> with a <see cref="KafkaForwarder{TKey, TValue}"/> and a <see cref="KafkaBatchProcessor{TKey, TValue}"/> on the embedded broker.</summary>
[Collection(EmbeddedKafkaCollection.Name)]
public class RetryTopicEntryPointTests(EmbeddedKafkaFixture kafka)
{
    private const int Count = 40;
    private static readonly TimeSpan[] Delays = [TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400)];

    [Fact]
    public async Task A_forwarder_sends_a_failing_message_through_the_retry_topics_then_to_the_dead_letter_topic_losing_nothing()
    {
        var chain = await Chain.CreateAsync(kafka);
        var output = kafka.CreateTopic(partitions: 1);
        var recorder = new Recorder(r => r.Successes + chain.DeadLettersOf(r) >= Count);
        var forwarder = new KafkaForwarder<string, string>(Client(), chain.Options, (message, _) =>
        {
            chain.Attempt(message.Topic, message.Value);
            return ValueTask.FromResult<IReadOnlyList<OutputRecord>>([OutputRecord.Utf8(output, message.Key, message.Value)]);
        }, observer: recorder);

        await recorder.RunAsync(forwarder.RunAsync);

        // Every input that succeeded was forwarded, once, and acknowledged before its offset was committed.
        chain.AssertDelivered(recorder);
        var forwarded = KafkaTestClient.ReadAll(kafka.Cluster.BootstrapServers, output, chain.Succeeded.Count, Timeouts.Flow);
        Assert.Equal(chain.Succeeded.Keys.Order(), forwarded.Select(f => int.Parse(f.Message.Value!, CultureInfo.InvariantCulture)).Order());
    }

    [Fact]
    public async Task A_batch_processor_sends_a_failing_message_through_the_retry_topics_then_to_the_dead_letter_topic_losing_nothing()
    {
        var chain = await Chain.CreateAsync(kafka);
        var batches = new ConcurrentQueue<(string Topic, int Size)>();
        var recorder = new Recorder(r => r.Successes + chain.DeadLettersOf(r) >= Count);
        var options = chain.Options with { Batch = new BatchOptions { MaxMessages = 8, MaxWait = TimeSpan.FromMilliseconds(20) } };
        var processor = new KafkaBatchProcessor<string, string>(Client(), options, (batch, _) =>
        {
            batches.Enqueue((batch[0].Topic, batch.Count));
            Assert.Single(batch.Select(m => (m.Topic, m.Partition)).Distinct());

            // The first failing message fails the batch at its index: those before it are finished, those after it run in the next batch.
            for (var i = 0; i < batch.Count; i++)
            {
                try
                {
                    chain.Attempt(batch[i].Topic, batch[i].Value);
                }
                catch (InvalidOperationException e)
                {
                    throw new BatchFailedException(i, e);
                }

                recorder.Handled(new TopicPartitionOffset(batch[i].Topic, batch[i].Partition, batch[i].Offset));
            }

            return ValueTask.CompletedTask;
        }, observer: recorder);

        await recorder.RunAsync(processor.RunAsync);

        chain.AssertDelivered(recorder);
        Assert.Contains(batches, b => b.Size > 1);
    }

    // Fetches come back at once when a partition has nothing new, so a retry that did not wait for
    // its due time would be handled well before it (the default 500 ms wait could hide that).
    private KafkaClientProperties Client() => new(kafka.Cluster.BootstrapServers, [new KafkaProperty("fetch.wait.max.ms", "20")]);

    /// <summary>
    /// A source topic with its retry topics and dead-letter topic, and which ids fail how often:
    /// every 3rd once (handled from retry 1), every 5th twice (from retry 2), every 7th always
    /// (dead-lettered after retry 2); the rest succeed at once.
    /// </summary>
    private sealed class Chain
    {
        private readonly EmbeddedKafkaFixture _kafka;

        private Chain(EmbeddedKafkaFixture kafka, string topic)
        {
            _kafka = kafka;
            Topic = topic;
            Options = new ProcessorOptions
            {
                GroupId = Names.Unique("group"),
                Topics = [topic],
                OnFailure = FailureAction.RetryTopics,
                RetryTopics = new RetryTopicOptions { Delays = Delays },
                Retry = new RetryOptions { MaxAttempts = 1 },
                CommitInterval = TimeSpan.FromMilliseconds(100),
                MaxConcurrency = 4,
            };
        }

        public string Topic { get; }

        public ProcessorOptions Options { get; }

        public ConcurrentDictionary<int, List<(string Topic, DateTime At)>> Attempts { get; } = new();

        public ConcurrentDictionary<int, string> Succeeded { get; } = new();

        public string DeadLetterTopic => Options.DeadLetterTopicFor(Topic);

        public static async Task<Chain> CreateAsync(EmbeddedKafkaFixture kafka)
        {
            var chain = new Chain(kafka, kafka.CreateTopic(partitions: 2));
            kafka.Cluster.CreateTopic(chain.Options.RetryTopics.TopicFor(chain.Topic, 1), 2);
            kafka.Cluster.CreateTopic(chain.Options.RetryTopics.TopicFor(chain.Topic, 2), 2);
            kafka.Cluster.CreateTopic(chain.DeadLetterTopic, 1);
            await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, chain.Topic, Enumerable.Range(0, Count).Select(i => ((string?)$"k{i % 7}", i.ToString(CultureInfo.InvariantCulture))));
            return chain;
        }

        public static int FailuresOf(int id) => id % 7 == 3 ? int.MaxValue : id % 5 == 1 ? 2 : id % 3 == 2 ? 1 : 0;

        public int DeadLettersOf(Recorder recorder) => recorder.DeadLettered.Values.Count(d => d.Topic == DeadLetterTopic);

        /// <summary>Records an attempt of the id in <paramref name="value"/>; throws when it is to fail.</summary>
        public void Attempt(string topic, string value)
        {
            var id = int.Parse(value, CultureInfo.InvariantCulture);
            var seen = Attempts.GetOrAdd(id, _ => []);
            lock (seen)
            {
                seen.Add((topic, DateTime.UtcNow));
                if (seen.Count <= FailuresOf(id))
                {
                    throw new InvalidOperationException($"attempt {seen.Count} of {id} fails");
                }
            }

            Succeeded[id] = topic;
        }

        public void AssertDelivered(Recorder recorder)
        {
            Assert.Empty(recorder.Violations);
            Assert.Empty(recorder.Stopped);
            var expectedDeadLetters = Enumerable.Range(0, Count).Where(i => FailuresOf(i) == int.MaxValue).ToList();

            // Each id succeeded in the stage its failures lead to, or was dead-lettered after the last one.
            foreach (var id in Enumerable.Range(0, Count).Except(expectedDeadLetters))
            {
                var stage = FailuresOf(id);
                Assert.Equal(stage == 0 ? Topic : Options.RetryTopics.TopicFor(Topic, stage), Succeeded[id]);
            }

            Assert.DoesNotContain(expectedDeadLetters, Succeeded.ContainsKey);

            // Every retry waited at least its topic's delay after the failure before it.
            foreach (var (id, seen) in Attempts)
            {
                Assert.Equal(Math.Min(FailuresOf(id), Delays.Length) + 1, seen.Count);
                for (var i = 1; i < seen.Count; i++)
                {
                    var waited = seen[i].At - seen[i - 1].At;
                    Assert.True(waited >= Delays[i - 1] - TimeSpan.FromMilliseconds(5), $"id {id}: attempt {i + 1} came {waited.TotalMilliseconds:0} ms after attempt {i}, before its {Delays[i - 1]} delay");
                }
            }

            // The dead-letter topic holds exactly the always-failing ids, after the last retry topic.
            var deadLetters = KafkaTestClient.ReadAll(_kafka.Cluster.BootstrapServers, DeadLetterTopic, expectedDeadLetters.Count, Timeouts.Flow);
            Assert.Equal(expectedDeadLetters, deadLetters.Select(d => int.Parse(d.Message.Value!, CultureInfo.InvariantCulture)).Order());
            Assert.All(deadLetters, d =>
            {
                Assert.Equal("2", d.Header(RetryTopicHeaders.Attempt));
                Assert.Equal(Topic, d.Header(RetryTopicHeaders.OriginalTopic));
                Assert.Equal(Options.RetryTopics.TopicFor(Topic, 2), d.Header(DeadLetterHeaders.SourceTopic));
            });

            // Nothing is left behind in any stage: every offset of every topic is committed.
            Assert.Equal(Count, _kafka.Committed(Options.GroupId, Topic, 2).Values.Sum());
            Assert.Equal(Enumerable.Range(0, Count).Count(i => FailuresOf(i) >= 1), _kafka.Committed(Options.GroupId, Options.RetryTopics.TopicFor(Topic, 1), 2).Values.Sum());
            Assert.Equal(Enumerable.Range(0, Count).Count(i => FailuresOf(i) >= 2), _kafka.Committed(Options.GroupId, Options.RetryTopics.TopicFor(Topic, 2), 2).Values.Sum());
        }
    }

    /// <summary>
    /// Records what was finished (forwarded, handled in a batch, or handed on to a retry or
    /// dead-letter topic) and checks at every commit that each offset it passes was finished.
    /// </summary>
    private sealed class Recorder(Func<Recorder, bool> done) : IForwardingObserver
    {
        private int _successes;

        private readonly ConcurrentDictionary<TopicPartitionOffset, bool> _finished = new();
        private readonly ConcurrentDictionary<TopicPartition, long> _committed = new();
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentDictionary<TopicPartitionOffset, TopicPartitionOffset> DeadLettered { get; } = new();

        public ConcurrentQueue<string> Violations { get; } = new();

        public ConcurrentQueue<TopicPartitionOffset> Stopped { get; } = new();

        /// <summary>Messages handled or forwarded successfully (not handed on after a failure).</summary>
        public int Successes => Volatile.Read(ref _successes);

        /// <summary>Runs the processor until the condition holds, then stops it cleanly.</summary>
        public async Task RunAsync(Func<CancellationToken, Task> run)
        {
            using var stop = new CancellationTokenSource();
            var running = run(stop.Token);
            // The delay only bounds a test that fails: the processor is stopped either way.
            await Task.WhenAny(_done.Task, running, Task.Delay(Timeouts.Flow * 2));
            await stop.CancelAsync();
            await running.WaitAsync(Timeouts.Stop);
            Assert.True(done(this), "the processor stopped before the test's condition held");
        }

        public void Handled(TopicPartitionOffset message)
        {
            Interlocked.Increment(ref _successes);
            Finish(message);
        }

        public void OnForwarded(TopicPartitionOffset input, IReadOnlyList<TopicPartitionOffset> outputs)
        {
            Interlocked.Increment(ref _successes);
            Finish(input);
        }

        public void OnDeadLettered(TopicPartitionOffset message, TopicPartitionOffset deadLetter, Exception exception)
        {
            DeadLettered[message] = deadLetter;
            Finish(message);
        }

        public void OnPartitionStopped(TopicPartitionOffset message, Exception exception)
        {
            Stopped.Enqueue(message);
            Check();
        }

        public void OnCommitted(IReadOnlyList<TopicPartitionOffset> offsets)
        {
            foreach (var offset in offsets)
            {
                for (var o = Math.Max(0, _committed.GetValueOrDefault(offset.TopicPartition, 0)); o < offset.Offset.Value; o++)
                {
                    if (!_finished.ContainsKey(new TopicPartitionOffset(offset.TopicPartition, o)))
                    {
                        Violations.Enqueue($"commit {offset} passed {offset.TopicPartition}@{o}, which was not finished");
                    }
                }

                _committed.AddOrUpdate(offset.TopicPartition, offset.Offset.Value, (_, old) => Math.Max(old, offset.Offset.Value));
            }

            Check();
        }

        private void Finish(TopicPartitionOffset message)
        {
            _finished[message] = true;
            Check();
        }

        private void Check()
        {
            if (done(this))
            {
                _done.TrySetResult();
            }
        }
    }
}

using System.Collections.Concurrent;
using System.Globalization;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Conveyor.Processing.Batching;
using Conveyor.Processing.Forwarding;

namespace Conveyor.IntegrationTests.RetryTopics;

/// <summary><see cref="FailureAction.RetryTopics"/> with a <see cref="KafkaForwarder{TKey, TValue}"/> and a <see cref="KafkaBatchProcessor{TKey, TValue}"/> on the embedded broker.</summary>
[Collection(ProcessingCollection.Name)]
public class RetryTopicEntryPointTests(EmbeddedKafkaFixture kafka)
{
    private const int Count = 40;
    private static readonly TimeSpan[] Delays = [TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400)];

    [Fact]
    public async Task A_forwarder_sends_a_failing_message_through_the_retry_topics_then_to_the_dead_letter_topic_losing_nothing()
    {
        var chain = await RetryChain.CreateAsync(kafka, Count, Delays, TimeSpan.FromMilliseconds(100));
        var output = kafka.CreateTopic(partitions: 1);
        var recorder = new Recorder(r => r.Successes + r.DeadLettered.Values.Count(d => d.Topic == chain.DeadLetterTopic) >= Count);
        var forwarder = new KafkaProcessorBuilder<string, string>(Client(), chain.Options).SetObserver(recorder).Forward((message, _) =>
        {
            chain.Attempt(message.Topic, message.Value);
            return ValueTask.FromResult<IReadOnlyList<OutputRecord>>([OutputRecord.Utf8(output, message.Key, message.Value)]);
        }).Build();

        await recorder.RunAsync(forwarder.RunAsync);

        // Every input that succeeded was forwarded, once, and acknowledged before its offset was committed.
        Assert.Empty(recorder.Violations);
        Assert.Empty(recorder.Stopped);
        chain.AssertDelivered();
        var forwarded = KafkaTestClient.ReadAll(kafka.Cluster.BootstrapServers, output, chain.Succeeded.Count, Timeouts.Flow);
        Assert.Equal(chain.Succeeded.Keys.Order(), forwarded.Select(f => int.Parse(f.Message.Value!, CultureInfo.InvariantCulture)).Order());
    }

    [Fact]
    public async Task A_batch_processor_sends_a_failing_message_through_the_retry_topics_then_to_the_dead_letter_topic_losing_nothing()
    {
        var chain = await RetryChain.CreateAsync(kafka, Count, Delays, TimeSpan.FromMilliseconds(100));
        var batches = new ConcurrentQueue<(string Topic, int Size)>();
        var recorder = new Recorder(r => r.Successes + r.DeadLettered.Values.Count(d => d.Topic == chain.DeadLetterTopic) >= Count);
        var options = chain.Options with { Batch = new BatchOptions { MaxMessages = 8, MaxWait = TimeSpan.FromMilliseconds(20) } };
        var processor = new KafkaProcessorBuilder<string, string>(Client(), options).SetObserver(recorder).HandleBatches((batch, _) =>
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
        }).Build();

        await recorder.RunAsync(processor.RunAsync);

        Assert.Empty(recorder.Violations);
        Assert.Empty(recorder.Stopped);
        chain.AssertDelivered();
        Assert.Contains(batches, b => b.Size > 1);
    }

    // Fetches come back at once when a partition has nothing new, so a retry that did not wait for
    // its due time would be handled well before it (the default 500 ms wait could hide that).
    private KafkaClientProperties Client() => new(kafka.Cluster.BootstrapServers, [new KafkaProperty("fetch.wait.max.ms", "20")]);

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

using System.Collections.Concurrent;
using System.Globalization;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.DeadLetters;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Conveyor.Processing.Batching;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>Batch handlers on the embedded broker.</summary>
[Collection(ProcessingCollection.Name)]
public class BatchProcessingTests(EmbeddedKafkaFixture kafka)
{
    private static readonly RetryOptions FastRetry = new() { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(10) };

    [Fact]
    public async Task A_batch_failing_at_an_index_commits_the_messages_before_it_and_dead_letters_only_that_one()
    {
        const int count = 300;
        var topic = kafka.CreateTopic(partitions: 3);
        kafka.Cluster.CreateTopic(topic + ".dlq", 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, count).Select(i => ((string?)$"key-{i}", Id(i))));

        // Every value divisible by 50 is poison; the handler says where it is in the batch.
        var handled = new ConcurrentDictionary<string, int>();
        var batchSizes = new ConcurrentQueue<int>();
        var observer = new RecordingObserver();
        var options = new ProcessorOptions
        {
            GroupId = group,
            Topics = [topic],
            CommitInterval = TimeSpan.FromMilliseconds(100),
            Retry = FastRetry,
            Batch = new BatchOptions { MaxMessages = 20, MaxWait = TimeSpan.FromMilliseconds(20) },
        };
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var processor = new KafkaProcessorBuilder<string, string>(new KafkaClientProperties(kafka.Cluster.BootstrapServers), options).SetObserver(CheckingObserver.Create(observer, () =>
        {
            if (observer.CommittedSum >= count)
            {
                done.TrySetResult();
            }
        })).HandleBatches((batch, _) =>
        {
            batchSizes.Enqueue(batch.Count);
            Assert.True(batch.Select(m => m.Offset).SequenceEqual(batch.Select(m => m.Offset).Order()), "a batch is in offset order");
            Assert.Single(batch.Select(m => m.Partition).Distinct());
            for (var i = 0; i < batch.Count; i++)
            {
                if (int.Parse(batch[i].Value, CultureInfo.InvariantCulture) % 50 == 0)
                {
                    throw new BatchFailedException(i, new FormatException($"poison {batch[i].Value}"));
                }

                handled.AddOrUpdate(batch[i].Value, 1, (_, n) => n + 1);
            }

            return ValueTask.CompletedTask;
        }).Build();

        await ProcessorRun.WhileAsync(processor, running => Task.WhenAny(done.Task, running).WaitAsync(Timeouts.Flow * 2));

        var poison = Enumerable.Range(0, count).Where(i => i % 50 == 0).Select(Id).ToHashSet();
        Assert.Equal(poison, observer.DeadLettered.Select(d => d.Message).Select(m => Value(topic, m)).ToHashSet());
        Assert.Equal(count - poison.Count, handled.Count);
        Assert.DoesNotContain(handled.Keys, poison.Contains);
        Assert.Equal(count, kafka.Committed(group, topic, 3).Values.Sum());
        Assert.Contains(batchSizes, size => size > 1);
        Assert.Equal(poison.Count * (FastRetry.MaxAttempts - 1), observer.Retries.Count);
        var letters = KafkaTestClient.ReadAll(kafka.Cluster.BootstrapServers, topic + ".dlq", poison.Count, Timeouts.Flow);
        Assert.Equal(poison, letters.Select(l => l.Message.Value!).ToHashSet());
        Assert.All(letters, l => Assert.Equal(typeof(FormatException).FullName, l.Header(DeadLetterHeaders.ExceptionType)));

        // The messages before each poison message were handled once: the failure did not repeat them.
        var before = poison.Select(p => Id(int.Parse(p, CultureInfo.InvariantCulture) - 1)).Where(handled.ContainsKey);
        Assert.All(before, v => Assert.Equal(1, handled[v]));
    }

    [Fact]
    public async Task A_batch_failing_at_an_index_dead_letters_that_one_after_its_attempts_and_batches_the_rest_again()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        kafka.Cluster.CreateTopic(topic + ".dlq", 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, 6).Select(i => ((string?)"k", Id(i))));
        var batches = new ConcurrentQueue<long[]>();
        var handled = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new ProcessorOptions
        {
            GroupId = group,
            Topics = [topic],
            CommitInterval = TimeSpan.FromHours(1), // the stop commits
            IdleCommitDelay = Timeout.InfiniteTimeSpan,
            Retry = FastRetry,

            // A full first batch, no waiting: the test does not depend on timing.
            Batch = new BatchOptions { MaxMessages = 6, MaxWait = TimeSpan.FromHours(1) },
        };
        var processor = new KafkaProcessorBuilder<string, string>(new KafkaClientProperties(kafka.Cluster.BootstrapServers), options).HandleBatches((batch, _) =>
        {
            batches.Enqueue([.. batch.Select(m => m.Offset)]);
            var poison = batch.ToList().FindIndex(m => m.Offset == 3);
            if (Interlocked.Add(ref handled, poison >= 0 ? poison : batch.Count) == 5)
            {
                done.TrySetResult();
            }

            return poison >= 0 ? throw new BatchFailedException(poison, new FormatException("offset 3 is malformed")) : ValueTask.CompletedTask;
        }).Build();
        await ProcessorRun.WhileAsync(processor, running => Task.WhenAny(done.Task, running).WaitAsync(Timeouts.Flow));

        Assert.Equal([0L, 1, 2, 3, 4, 5], batches.First());
        Assert.Equal(3, batches.Count(b => b.Contains(3L))); // 3 attempts: the whole batch, then twice the rest from the failed one
        Assert.Equal([3L, 4, 5], batches.ElementAt(1));
        Assert.Equal([4L, 5], batches.Last()); // the rest, batched again after the failure
        var letter = Assert.Single(KafkaTestClient.ReadToEnd(kafka.Cluster.BootstrapServers, topic + ".dlq", Timeouts.Flow));
        Assert.Equal("3", letter.Message.Value);
        Assert.Equal("offset 3 is malformed", letter.Header(DeadLetterHeaders.ExceptionMessage));
        Assert.Equal("3", letter.Header(DeadLetterHeaders.Attempts)); // its own attempts, as a single message's
        Assert.Equal(6, kafka.Committed(group, topic, 1).Values.Sum());
    }

    private string Value(string topic, TopicPartitionOffset at)
    {
        using var consumer = new ConsumerBuilder<Ignore, string>(new ConsumerConfig { BootstrapServers = kafka.Cluster.BootstrapServers, GroupId = Names.Unique("reader") }).Build();
        consumer.Assign(at);
        return consumer.Consume(Timeouts.Flow)?.Message.Value ?? throw new InvalidOperationException($"nothing at {at}");
    }

    private static string Id(int i) => i.ToString(CultureInfo.InvariantCulture);
}

using Conveyor.Configuration;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Conveyor.Processing.RetryTopics;
using Conveyor.Testing;

namespace Conveyor.IntegrationTests.RetryTopics;

/// <summary><see cref="FailureAction.RetryTopics"/> on the embedded broker.</summary>
[Collection(ProcessingCollection.Name)]
public class RetryTopicTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task A_retry_chain_delivers_every_message_after_its_delays_or_to_the_dead_letter_topic_losing_nothing()
    {
        const int count = 60;
        var chain = await RetryChain.CreateAsync(kafka, count, [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], TimeSpan.FromMilliseconds(200));
        var observer = new RecordingObserver();
        await ProcessorRun.UntilAsync<string>(kafka.Cluster.BootstrapServers, chain.Options, observer, (message, _) =>
        {
            chain.Attempt(message.Topic, message.Value);
            return ValueTask.CompletedTask;
        }, () => chain.Succeeded.Count + observer.DeadLettered.Count(d => d.DeadLetter.Topic == chain.DeadLetterTopic) >= count);

        Assert.Empty(observer.Stopped);
        chain.AssertDelivered();
    }

    [Fact]
    public async Task When_the_retry_topic_write_fails_the_partition_stops_at_the_message_naming_the_retry_topic_and_nothing_is_lost()
    {
        await using var cluster = EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions { Topics = [new TopicSpec("in", 1), new TopicSpec("in.retry.1", 1), new TopicSpec("in.dlq", 1)] });
        await KafkaTestClient.ProduceAsync(cluster.BootstrapServers, "in", [("k", "0"), ("k", "1"), ("k", "2")]);
        var group = Names.Unique("group");
        var observer = new RecordingObserver();
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Every produce request fails: the write to the retry topic cannot be acknowledged.
        cluster.InjectRequestErrors(Conveyor.Testing.KafkaApiKey.Produce, Enumerable.Repeat(Confluent.Kafka.ErrorCode.TopicAuthorizationFailed, 50).ToArray());
        var options = new ProcessorOptions
        {
            GroupId = group,
            Topics = ["in"],
            CommitInterval = TimeSpan.FromMilliseconds(200),
            OnFailure = FailureAction.RetryTopics,
            RetryTopics = new RetryTopicOptions { Delays = [TimeSpan.FromSeconds(1)] },
            Retry = new RetryOptions { MaxAttempts = 1 },
        };
        var processor = new KafkaProcessorBuilder<string, string>(new KafkaClientProperties(cluster.BootstrapServers), options)
            .Handle((message, _) => message.Value == "1" ? throw new InvalidOperationException("bad") : ValueTask.CompletedTask)
            .SetObserver(CheckingObserver.Create(observer, () =>
            {
                if (!observer.Stopped.IsEmpty)
                {
                    stopped.TrySetResult();
                }
            }))
            .Build();
        await ProcessorRun.WhileAsync(processor, _ => stopped.Task.WaitAsync(Timeouts.Flow));

        // The failure action: the partition stops at the message, which is neither retried nor dead-lettered.
        Assert.Equal(1, Assert.Single(observer.Stopped).Offset.Value);
        Assert.Contains("'in.retry.1'", Assert.Single(observer.StopReasons).Message, StringComparison.Ordinal);
        Assert.Empty(observer.DeadLettered);

        // Nothing lost: the commit stops before the message, so the next owner handles it again.
        Assert.Equal(1, KafkaTestClient.Committed(cluster.BootstrapServers, group, "in", 1)[0]);
        Assert.Empty(KafkaTestClient.ReadToEnd(cluster.BootstrapServers, "in.retry.1", Timeouts.Flow));
    }
}

using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;

namespace Conveyor.IntegrationTests.RetryTopics;

/// <summary><see cref="FailureAction.RetryTopics"/> on the embedded broker.</summary>
[Collection(EmbeddedKafkaCollection.Name)]
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
}

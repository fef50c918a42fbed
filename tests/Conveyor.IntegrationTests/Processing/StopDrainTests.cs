using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>What a stop does to work under way: it finishes within the stop timeout, or stays unfinished.</summary>
[Collection(ProcessingCollection.Name)]
public class StopDrainTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task A_stop_lets_a_dead_letter_under_way_finish_instead_of_blaming_the_topic()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        kafka.Cluster.CreateTopic(topic + ".dlq", 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, [("bad", "not a number")]);

        // The stop comes while the message fails to decode, so its dead letter is written during the stop.
        using var stop = new CancellationTokenSource();
        var observer = new RecordingObserver();
        var options = new ProcessorOptions { GroupId = group, Topics = [topic], CommitInterval = TimeSpan.FromHours(1) };
        var processor = new KafkaProcessorBuilder<string, long>(
            new KafkaClientProperties(kafka.Cluster.BootstrapServers), options).SetValueDeserializer(new StoppingDeserializer(stop)).SetObserver(observer).Handle((_, _) => ValueTask.CompletedTask).Build();

        await processor.RunAsync(stop.Token).WaitAsync(Timeouts.Stop);

        Assert.Empty(observer.Stopped);
        var (message, deadLetter) = Assert.Single(observer.DeadLettered);
        Assert.Equal(0, message.Offset.Value);
        Assert.Equal("bad", Assert.Single(KafkaTestClient.ReadToEnd(kafka.Cluster.BootstrapServers, deadLetter.Topic, Timeouts.Flow)).Message.Key);
        Assert.Equal(1, kafka.Committed(group, topic, 1)[0]);
    }

    private sealed class StoppingDeserializer(CancellationTokenSource stop) : IDeserializer<long>
    {
        public long Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context)
        {
            stop.Cancel();
            throw new FormatException("not a number");
        }
    }
}

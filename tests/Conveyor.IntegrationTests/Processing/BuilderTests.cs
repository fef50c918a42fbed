using System.Collections.Concurrent;
using System.Globalization;
using Conveyor.Configuration;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Conveyor.Processing.Batching;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>Processors made by the builder on the embedded broker: each shape handles and commits everything, and disposal stops them.</summary>
[Collection(ProcessingCollection.Name)]
public class BuilderTests(EmbeddedKafkaFixture kafka)
{
    private const int Count = 300;

    [Fact]
    public async Task A_built_processor_and_a_built_batch_processor_handle_and_commit_every_message_alike()
    {
        var topic = kafka.CreateTopic(partitions: 3);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, Count).Select(i => ((string?)$"key-{i % 17}", Id(i))));
        var client = new KafkaClientProperties(kafka.Cluster.BootstrapServers);

        var built = await HandleAllAsync(topic, (options, observer, handled) => new KafkaProcessorBuilder<string, string>(client, options)
            .SetObserver(observer)
            .Handle((message, _) => Record(handled, message))
            .Build());
        var batches = await HandleAllAsync(topic, (options, observer, handled) => new KafkaProcessorBuilder<string, string>(client, options)
            .SetObserver(observer)
            .HandleBatches(
                async (batch, _) =>
                {
                    foreach (var message in batch)
                    {
                        await Record(handled, message);
                    }
                },
                new BatchOptions { MaxMessages = 25, MaxWait = TimeSpan.FromMilliseconds(20) })
            .Build());

        Assert.Equal(Enumerable.Range(0, Count).Select(Id).Order(), built.Handled.Order());
        Assert.Equal(built.Handled.Order(), batches.Handled.Order());
        Assert.Equal(Count, built.Committed.Values.Sum());
        Assert.Equal(built.Committed, batches.Committed);
    }

    [Fact]
    public async Task Disposing_a_running_processor_stops_it_cleanly_and_commits_what_is_finished()
    {
        var topic = kafka.CreateTopic(partitions: 2);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, Count).Select(i => ((string?)$"key-{i}", Id(i))));
        var handled = new ConcurrentQueue<string>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var processor = new KafkaProcessorBuilder<string, string>(
                new KafkaClientProperties(kafka.Cluster.BootstrapServers),
                new ProcessorOptions { GroupId = group, Topics = [topic], CommitInterval = TimeSpan.FromMinutes(10), IdleCommitDelay = Timeout.InfiniteTimeSpan })
            .Handle((message, _) =>
            {
                handled.Enqueue(message.Value);
                if (handled.Count == Count)
                {
                    all.TrySetResult();
                }

                return ValueTask.CompletedTask;
            })
            .Build();

        // No token is ever cancelled: only the disposal can end the run.
        var running = processor.RunAsync();
        await all.Task.WaitAsync(Timeouts.Flow);
        await processor.DisposeAsync().AsTask().WaitAsync(Timeouts.Stop);

        Assert.True(running.IsCompletedSuccessfully, "the run ended cleanly when the processor was disposed");
        Assert.Equal(ProcessorState.Stopped, processor.Status.State);
        // The commit interval never came round: the stop committed everything.
        Assert.Equal(Count, kafka.Committed(group, topic, 2).Values.Sum());
    }

    /// <summary>Runs a processor made by <paramref name="create"/> in a group of its own until it committed every message, then stops it.</summary>
    private async Task<(List<string> Handled, Dictionary<int, long> Committed)> HandleAllAsync(
        string topic, Func<ProcessorOptions, IProcessorObserver, ConcurrentQueue<string>, IKafkaProcessor> create)
    {
        var group = Names.Unique("group");
        var handled = new ConcurrentQueue<string>();
        var observer = new RecordingObserver();
        var options = new ProcessorOptions { GroupId = group, Topics = [topic], CommitInterval = TimeSpan.FromMilliseconds(100) };
        await using var processor = create(options, observer, handled);

        await ProcessorRun.WhileAsync(processor, running => Task.WhenAny(observer.WaitForCommittedSum(Count, Timeouts.Flow), running).WaitAsync(Timeouts.Flow));

        return ([.. handled], kafka.Committed(group, topic, 3));
    }

    private static ValueTask Record(ConcurrentQueue<string> handled, Conveyor.Processing.MessageContext<string, string> message)
    {
        handled.Enqueue(message.Value);
        return ValueTask.CompletedTask;
    }

    private static string Id(int i) => i.ToString(CultureInfo.InvariantCulture);
}

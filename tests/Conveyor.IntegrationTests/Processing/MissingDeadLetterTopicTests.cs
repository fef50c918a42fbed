using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Microsoft.Extensions.Logging;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>A missing dead-letter topic is said at start, once, not found out at the first failure.</summary>
[Collection(ProcessingCollection.Name)]
public class MissingDeadLetterTopicTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task A_missing_dead_letter_topic_is_warned_about_once_when_the_processor_starts_and_is_not_created()
    {
        var topic = kafka.CreateTopic(partitions: 2);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, [("k", "fine")]);
        var logs = new CollectingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        var options = new ProcessorOptions
        {
            GroupId = Names.Unique("group"),
            Topics = [topic],
            CommitInterval = TimeSpan.FromMilliseconds(100),
            LoggerFactory = loggers,
        };
        var missing = new TaskCompletionSource<IReadOnlyList<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = 0;

        await ProcessorRun.UntilAsync<string>(kafka.Cluster.BootstrapServers, options, new MissingTopicsObserver(missing), (_, _) =>
        {
            Interlocked.Increment(ref handled);
            return ValueTask.CompletedTask;
        }, () => Volatile.Read(ref handled) == 1 && missing.Task.IsCompleted);

        Assert.Equal([topic + ".dlq"], await missing.Task);
        var warning = Assert.Single(logs.Entries, e => e.Id.Id == 1081);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.StartsWith($"Processor {options.GroupId}: the topic for failed messages '{topic}.dlq' is missing on the cluster", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Environment.NewLine, warning.Message, StringComparison.Ordinal);

        // Looking it up did not create it.
        using var admin = new Confluent.Kafka.AdminClientBuilder(new Confluent.Kafka.AdminClientConfig { BootstrapServers = kafka.Cluster.BootstrapServers }).Build();
        Assert.DoesNotContain(admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics, t => t.Topic == topic + ".dlq" && !t.Error.IsError);
    }

    private sealed class MissingTopicsObserver(TaskCompletionSource<IReadOnlyList<string>> missing) : IProcessorObserver
    {
        public void OnFailureTopicsMissing(IReadOnlyList<string> topics) => missing.TrySetResult(topics);
    }
}

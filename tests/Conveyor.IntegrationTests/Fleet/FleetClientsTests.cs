using Conveyor.Configuration;
using Conveyor.Fleet;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;

namespace Conveyor.IntegrationTests.Fleet;

/// <summary>The clients a fleet processor builds besides its consumer (the status and dead-letter producers), on the embedded broker.</summary>
[Collection(FleetCollection.Name)]
public class FleetClientsTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task The_processors_producers_log_no_warning_about_its_consumer_properties()
    {
        var topic = kafka.CreateTopic(1);
        var status = kafka.CreateTopic(1);
        var control = kafka.CreateTopic(1);
        var group = Names.Unique("group");
        var observer = new RecordingObserver();
        var client = new KafkaClientProperties(kafka.Cluster.BootstrapServers,
            [new("session.timeout.ms", "6000"), new("fetch.wait.max.ms", "100"), new("auto.offset.reset", "earliest")]);
        var options = new ProcessorOptions
        {
            GroupId = group,
            Topics = [topic],
            Fleet = new FleetOptions { StatusTopic = status, ControlTopic = control, StatusInterval = TimeSpan.FromMilliseconds(200), InstanceId = "a" },
        };
        await using var processor = new KafkaProcessorBuilder<string, string>(client, options).SetObserver(observer).Handle((_, _) => ValueTask.CompletedTask).Build();
        using var stop = new CancellationTokenSource();
        var run = processor.RunAsync(stop.Token);

        // Published records mean the producer was built and connected: its start-up warnings came before.
        new FleetOperator(kafka.Cluster.BootstrapServers, group, control, status).Fleet(view => view.Live(group, DateTimeOffset.UtcNow).Count == 1);
        await stop.CancelAsync();
        await run.WaitAsync(Timeouts.Stop);

        Assert.DoesNotContain(observer.ClientLog, l => l.Facility == "CONFWARN");
    }
}

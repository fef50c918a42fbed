using Confluent.Kafka;
using Conveyor.Cli.CommandLine;
using Conveyor.IntegrationTests.Support;

namespace Conveyor.IntegrationTests.Cli;

/// <summary><c>conveyor lag</c> on the embedded broker.</summary>
[Collection(CliCollection.Name)]
public class LagCliTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task Lag_is_what_was_produced_minus_what_the_group_committed()
    {
        var topic = kafka.CreateTopic(partitions: 3);
        var group = Names.Unique("group");
        var servers = kafka.Cluster.BootstrapServers;
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = servers }).Build())
        {
            foreach (var (partition, count) in new[] { (0, 5), (1, 3), (2, 4) })
            {
                for (var i = 0; i < count; i++)
                {
                    await producer.ProduceAsync(new TopicPartition(topic, partition), new Message<Null, string> { Value = "x" });
                }
            }
        }

        using (var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = servers, GroupId = group }).Build())
        {
            consumer.Commit([new TopicPartitionOffset(topic, 0, 2), new TopicPartitionOffset(topic, 1, 3)]);
        }

        var output = new LineRecorder();
        var errors = new LineRecorder();
        var exitCode = await ConveyorCommandLine.InvokeAsync(["lag", "-b", servers, "--group", group, "--topic", topic], output, errors).WaitAsync(Timeouts.Stop);

        Assert.True(exitCode == 0, errors.ToString());
        var lines = output.Lines;
        Assert.StartsWith($"group {group} at ", lines[0], StringComparison.Ordinal);
        Assert.EndsWith($"state and members not shown: the cluster at {servers} does not implement DescribeGroups (Local: Required feature not supported by broker); Conveyor's embedded broker does not, a real Kafka cluster does", lines[0], StringComparison.Ordinal);
        Assert.Equal(
        [
            "TOPIC" + new string(' ', topic.Length - 5) + "  PARTITION  COMMITTED  END  LAG",
            $"{topic}          0          2    5    3",
            $"{topic}          1          3    3    0",
            $"{topic}          2          -    4    4",
            "total" + new string(' ', topic.Length - 5) + "                     5   12    7",
        ], lines.Skip(1));
    }

    [Fact]
    public async Task Watch_refreshes_until_stopped_and_shows_new_messages()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        var output = new LineRecorder();
        using var stop = new CancellationTokenSource();
        var running = ConveyorCommandLine.InvokeAsync(
            ["lag", "-b", kafka.Cluster.BootstrapServers, "--group", Names.Unique("group"), "--topic", topic, "--watch", "--interval", "00:00:00.100"],
            output, new LineRecorder(), stop.Token);

        await output.WaitForLines("total", 1, Timeouts.Flow);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, [(null, "a"), (null, "b")]);
        await output.WaitUntil(lines => lines.Any(l => l.StartsWith("total", StringComparison.Ordinal) && l.EndsWith(" 2    2", StringComparison.Ordinal)), Timeouts.Flow);
        await stop.CancelAsync();

        Assert.Equal(0, await running.WaitAsync(Timeouts.Stop));
    }

    [Fact]
    public async Task A_cluster_that_refuses_the_connection_is_one_line_and_exit_1_at_once()
    {
        var errors = new LineRecorder();
        var started = System.Diagnostics.Stopwatch.StartNew();

        var exitCode = await ConveyorCommandLine.InvokeAsync(["lag", "-b", "127.0.0.1:1", "--group", Names.Unique("group")], new LineRecorder(), errors).WaitAsync(Timeouts.Stop);

        Assert.Equal(1, exitCode);
        var line = Assert.Single(errors.Lines);
        Assert.StartsWith("error: could not reach Kafka at 127.0.0.1:1: every broker refused the connection", line, StringComparison.Ordinal);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"took {started.Elapsed}"); // not the probe's 10 s timeout
    }

    [Fact]
    public async Task Without_a_topic_it_shows_the_topics_the_group_committed_on_and_an_unknown_group_is_an_error()
    {
        var topic = kafka.CreateTopic(partitions: 2);
        var group = Names.Unique("group");
        using (var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = kafka.Cluster.BootstrapServers, GroupId = group }).Build())
        {
            consumer.Commit([new TopicPartitionOffset(topic, 1, 0)]);
        }

        var output = new LineRecorder();
        var exitCode = await ConveyorCommandLine.InvokeAsync(["lag", "-b", kafka.Cluster.BootstrapServers, "--group", group], output, new LineRecorder()).WaitAsync(Timeouts.Stop);
        Assert.Equal(0, exitCode);
        Assert.Equal(3, output.Lines.Count(l => l.StartsWith(topic, StringComparison.Ordinal) || l.StartsWith("TOPIC", StringComparison.Ordinal)));

        var unknown = Names.Unique("group");
        var errors = new LineRecorder();
        exitCode = await ConveyorCommandLine.InvokeAsync(["lag", "-b", kafka.Cluster.BootstrapServers, "--group", unknown], new LineRecorder(), errors).WaitAsync(Timeouts.Stop);
        Assert.Equal(1, exitCode);
        Assert.Equal($"error: group {unknown} has no committed offsets on {kafka.Cluster.BootstrapServers}: check --group, or name the topics with --topic.", errors.Lines[0]);
    }
}

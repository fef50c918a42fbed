using System.Collections.Concurrent;
using Confluent.Kafka;
using Conveyor.Cli.CommandLine;
using Conveyor.Fleet;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;

namespace Conveyor.IntegrationTests.Fleet;

/// <summary><c>conveyor control</c> against a running instance on the embedded broker: bad input is refused with one line and nothing sent; good commands are answered.</summary>
[Collection(EmbeddedKafkaCollection.Name)]
public class ControlCliTests(EmbeddedKafkaFixture kafka)
{
    private string Bootstrap => kafka.Cluster.BootstrapServers;

    [Fact]
    public async Task Bad_commands_are_refused_in_one_line_with_nothing_sent_and_good_ones_are_answered_by_the_instance()
    {
        var topic = kafka.CreateTopic(2);
        var control = kafka.CreateTopic(1);
        var status = kafka.CreateTopic(1);
        var group = Names.Unique("group");
        var options = new ProcessorOptions
        {
            GroupId = group,
            Topics = [topic],
            Fleet = new FleetOptions { StatusTopic = status, ControlTopic = control, StatusInterval = TimeSpan.FromMilliseconds(300) },
        };
        await using var node = new FleetNode(Bootstrap, options, "a", new ConcurrentQueue<(string, int, long)>());
        var deadline = DateTime.UtcNow + Timeouts.Rebalance;
        while (node.Assigned.Count < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the instance was never assigned both partitions");
            await Task.Delay(50);
        }

        string[] fleet = ["-b", Bootstrap, "--control-topic", control, "--status-topic", status, "--by", "cli-test", "--wait", "00:00:20"];
        await Refused(["control", "pause", "--group", group, "--topic", "elsewhere", .. fleet], $"group {group} does not consume topic 'elsewhere'");
        await Refused(["control", "pause", "--group", group, "--topic", topic, "-p", "9", .. fleet], $"topic '{topic}' has no partition 9 (it has 2: 0 to 1)");
        await Refused(["control", "pause", "--group", "nobody", .. fleet], "no instance of group nobody reported on status topic");
        await Refused(["control", "rewind", "--group", group, "--topic", topic, "--to-offset", "5", .. fleet], $"offset 5 is outside {topic}[0], which holds 0 to 0");
        await Refused(["control", "stop", "--group", group, "--instance", "zz", .. fleet], "instance zz of group " + group + " is not live");
        await Refused(["control", "pause", "--group", group, "-b", Bootstrap, "--control-topic", "missing-control", "--status-topic", status], "topic 'missing-control' (given with --control-topic) does not exist");
        Assert.Equal(0, ControlRecords(control)); // nothing was sent

        var (code, output, errors) = await Run(["control", "pause", "--group", group, "--topic", topic, "-p", "1", .. fleet]);
        Assert.True(code == 0, errors);
        Assert.Equal($"a: paused {topic}[1]; held here: {topic}[1]", output.Trim());

        (code, output, errors) = await Run(["control", "fleet", "-b", Bootstrap, "--status-topic", status, "--group", group]);
        Assert.True(code == 0, errors);
        Assert.Contains($"group {group}: 1 live instance(s)", output, StringComparison.Ordinal);
        Assert.Matches($@"{topic}\[0\]\s+a\s", output);
        Assert.Matches($@"{topic}\[1\]\s+a\s.*operator: paused by cli-test", output);

        (code, output, errors) = await Run(["control", "concurrency", "--group", group, "--limit", "4", .. fleet]);
        Assert.True(code == 0, errors);
        Assert.Equal("a: limit 4", output.Trim());
        Assert.Equal(4, node.Processor.Status.ConcurrencyLimit);

        (code, output, errors) = await Run(["control", "stop", "--group", group, .. fleet]);
        Assert.True(code == 0, errors);
        Assert.Equal("a: stopping", output.Trim());
        await node.Run.WaitAsync(Timeouts.Stop); // the instance stopped on its own
        Assert.Equal(ProcessorState.Stopped, node.Processor.Status.State);
    }

    private async Task Refused(string[] args, string message)
    {
        var (code, output, errors) = await Run(args);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        var line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(message, line, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output, string Errors)> Run(string[] args)
    {
        var output = new LineRecorder();
        var errors = new LineRecorder();
        var code = await ConveyorCommandLine.InvokeAsync(args, output, errors).WaitAsync(Timeouts.Flow * 2);
        return (code, output.ToString(), errors.ToString());
    }

    private long ControlRecords(string control)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = Bootstrap, GroupId = Names.Unique("check") }).Build();
        return consumer.QueryWatermarkOffsets(new TopicPartition(control, 0), TimeSpan.FromSeconds(10)).High.Value;
    }
}

using System.Collections.Concurrent;
using Confluent.Kafka;
using Conveyor.Cli.CommandLine;
using Conveyor.Fleet;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;

namespace Conveyor.IntegrationTests.Fleet;

/// <summary><c>conveyor control</c> against a running instance on the embedded broker: bad input is refused with one line and nothing sent; good commands are answered.</summary>
[Collection(FleetCollection.Name)]
public class ControlCliTests(EmbeddedKafkaFixture kafka)
{
    private string Bootstrap => kafka.Cluster.BootstrapServers;

    [Fact]
    public async Task Bad_commands_are_refused_in_one_line_with_nothing_sent_and_good_ones_are_answered_by_the_instance()
    {
        var (topic, control, status, group, options) = Setup(commitInterval: TimeSpan.FromSeconds(5)); // the default interval
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

    [Fact]
    public async Task A_rewind_by_date_or_shift_is_resolved_where_its_position_is_known_and_refused_in_one_line_past_either_end()
    {
        var (topic, control, status, group, options) = Setup(commitInterval: TimeSpan.FromMilliseconds(100));
        var handled = new ConcurrentQueue<(string Instance, int Partition, long Offset)>();
        await using var node = new FleetNode(Bootstrap, options, "a", handled);
        await FleetOperator.ProduceAsync(Bootstrap, topic, 0, 10, "m");
        await FleetOperator.ProduceAsync(Bootstrap, topic, 1, 10, "m");
        await WaitUntil(() => kafka.Committed(group, topic, 2) is { } c && c[0] == 10 && c[1] == 10, "everything is handled and committed");

        string[] fleet = ["-b", Bootstrap, "--control-topic", control, "--status-topic", status, "--by", "cli-test", "--wait", "00:00:20"];
        string[] rewind = ["control", "rewind", "--group", group, "--topic", topic];
        // The embedded broker answers every look-up by time with "no offset": the CLI refuses before sending.
        await Refused([.. rewind, "--to-datetime", "2026-01-01T00:00:00Z", .. fleet], "partition 0 has no message at or after 2026-01-01T00:00:00.000Z; nothing changed.");
        await Refused([.. rewind, "--shift-by", "3", .. fleet], "--shift-by 3 moves partition 0 from 10 to 13, outside partition 0's offsets 0 (earliest) to 10 (end); nothing changed.");
        await Refused([.. rewind, "--shift-by", "-11", "-p", "1", .. fleet], "--shift-by -11 moves partition 1 from 10 to -1, outside partition 1's offsets 0 (earliest) to 10 (end)");
        var (code, _, errors) = await Run([.. rewind, "--to-earliest", "--shift-by", "1", .. fleet]);
        Assert.Equal(2, code);
        Assert.Contains("control rewind needs exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by (given: --to-earliest, --shift-by)", errors, StringComparison.Ordinal);
        Assert.Equal(0, ControlRecords(control)); // nothing was sent

        // A shift is applied by the owner from its committed offset then.
        var before = handled.Count;
        (code, var output, errors) = await Run([.. rewind, "-p", "0", "--shift-by", "-4", .. fleet]);
        Assert.True(code == 0, errors);
        Assert.Equal($"a: moved {topic}[0] to 6", output.Trim());
        await WaitUntil(() => handled.Skip(before).Count() == 4, "offsets 6 to 9 are handled again");
        Assert.Equal([6L, 7, 8, 9], handled.Skip(before).Select(h => h.Offset).Order());

        // The earliest is resolved by the CLI into each partition's first offset.
        before = handled.Count;
        (code, output, errors) = await Run([.. rewind, "-p", "1", "--to-earliest", .. fleet]);
        Assert.True(code == 0, errors);
        Assert.Equal($"a: moved {topic}[1] to 0", output.Trim());
        await WaitUntil(() => handled.Skip(before).Count(h => h.Partition == 1) == 10, "partition 1 is handled again from 0");

        // A shift that is past the end by the time the owner applies it is refused by the owner, which moves nothing.
        await WaitUntil(() => kafka.Committed(group, topic, 2) is { } c && c[0] == 10 && c[1] == 10, "everything is committed again");
        var ops = new FleetOperator(Bootstrap, group, control, status);
        var answers = await ops.SendAsync(ControlKind.Rewind, topic, [0, 1], shift: 1, instances: ["a"]);
        Assert.Equal($"refused: shift 1 takes {topic}[0] from 10 to 11, outside its offsets 0 (earliest) to 10 (end); shift 1 takes {topic}[1] from 10 to 11, outside its offsets 0 (earliest) to 10 (end); moved none here", answers["a"]);
        Assert.Equal(new Dictionary<int, long> { [0] = 10, [1] = 10 }, kafka.Committed(group, topic, 2));
    }

    /// <summary>A two-partition topic with its fleet's status and control topics, and an instance's options for a new group.</summary>
    private (string Topic, string Control, string Status, string Group, ProcessorOptions Options) Setup(TimeSpan commitInterval)
    {
        var fleet = FleetTopics.Create(kafka, partitions: 2);
        var group = Names.Unique("group");
        return (fleet.Topic, fleet.Control, fleet.Status, group, fleet.Options(group, commitInterval));
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeouts.Rebalance;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(50);
        }
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

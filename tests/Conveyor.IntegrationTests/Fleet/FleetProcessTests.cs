using System.Globalization;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Conveyor.Cli.CommandLine;
using Conveyor.Fleet;
using Conveyor.IntegrationTests.Support;

namespace Conveyor.IntegrationTests.Fleet;

/// <summary>
/// A fleet of separate OS processes: two <c>conveyor consume</c> processes with the fleet's
/// topics, on the test's embedded broker (reached over TCP), operated with <c>conveyor
/// control</c>. Each process prints the messages it handled; the test reads them from its output.
/// </summary>
[Collection(FleetCollection.Name)]
public partial class FleetProcessTests(EmbeddedKafkaFixture kafka)
{
    private string Bootstrap => kafka.Cluster.BootstrapServers;

    [Fact]
    public async Task A_paused_partition_is_handled_by_no_process_through_a_rebalance_until_resumed_and_nothing_is_lost()
    {
        var fleet = Fleet.Create(kafka);
        await using var a = fleet.Start("a");
        await using var b = fleet.Start("b");
        var owners = await fleet.OwnersOnceEachHoldsOneAsync();
        Assert.Equal(["a", "b"], owners.Values.Order());

        await fleet.ProduceAsync(0, 10);
        await fleet.ProduceAsync(1, 10);
        await WaitUntil(() => Handled(a, b, 0).Count == 10 && Handled(a, b, 1).Count == 10, "the first messages are handled", a, b);

        var (code, output, errors) = await fleet.ControlAsync("pause", "--topic", fleet.Topic, "-p", "0");
        Assert.True(code == 0, errors);
        Assert.Contains($"{owners[0]}: paused {fleet.Topic}[0]; held here: {fleet.Topic}[0]", output, StringComparison.Ordinal);
        await fleet.ProduceAsync(0, 10);
        await fleet.ProduceAsync(1, 10);
        await WaitUntil(() => Handled(a, b, 1).Count == 20, "partition 1's second messages are handled", a, b);

        // The owner of the paused partition stops: the other process is assigned it, and holds it.
        var (leaving, staying) = owners[0] == "a" ? (a, b) : (b, a);
        leaving.Terminate();
        Assert.Equal(0, await leaving.WaitForExitAsync(Timeouts.Stop));
        owners = await fleet.OwnersAsync(view => view.Live(fleet.Group, DateTimeOffset.UtcNow) is [{ Partitions.Count: 2 }]);
        Assert.Equal([staying == a ? "a" : "b"], owners.Values.Distinct());
        await fleet.ProduceAsync(0, 10);
        await fleet.ProduceAsync(1, 10);
        await WaitUntil(() => Handled(a, b, 1).Count == 30, "partition 1's third messages are handled", a, b);
        Assert.Equal(Enumerable.Range(0, 10).Select(o => (long)o), Handled(a, b, 0).Order()); // nothing of partition 0 since the pause, in either process

        (code, output, errors) = await fleet.ControlAsync("resume", "--topic", fleet.Topic, "-p", "0");
        Assert.True(code == 0, errors);
        await WaitUntil(() => Handled(a, b, 0).Count == 30, "partition 0's messages are handled once resumed", a, b);
        Assert.Equal(Enumerable.Range(0, 30).Select(o => (long)o), Handled(a, b, 0).Order());
        Assert.Equal(Enumerable.Range(0, 30).Select(o => (long)o), Handled(a, b, 1).Order());
        await WaitUntil(() => kafka.Committed(fleet.Group, fleet.Topic, 2) is { } c && c[0] == 30 && c[1] == 30, "every offset is committed", a, b);
    }

    [Fact]
    public async Task A_rewind_makes_each_owning_process_handle_its_partition_again_from_the_new_position()
    {
        var fleet = Fleet.Create(kafka);
        await using var a = fleet.Start("a");
        await using var b = fleet.Start("b");
        var owners = await fleet.OwnersOnceEachHoldsOneAsync();
        await fleet.ProduceAsync(0, 10);
        await fleet.ProduceAsync(1, 10);
        await WaitUntil(() => kafka.Committed(fleet.Group, fleet.Topic, 2) is { } c && c[0] == 10 && c[1] == 10, "everything is handled and committed", a, b);

        var (code, output, errors) = await fleet.ControlAsync("rewind", "--topic", fleet.Topic, "--to-offset", "4");
        Assert.True(code == 0, errors);
        Assert.Equal(new[] { $"{owners[0]}: moved {fleet.Topic}[0] to 4", $"{owners[1]}: moved {fleet.Topic}[1] to 4" }.Order(StringComparer.Ordinal), output.Trim().Split('\n').Order(StringComparer.Ordinal));
        await WaitUntil(() => Handled(a, b, 0).Count == 16 && Handled(a, b, 1).Count == 16, "offsets 4 to 9 of each partition are handled again", a, b);

        (code, output, errors) = await fleet.ControlAsync("rewind", "--topic", fleet.Topic, "-p", "1", "--shift-by", "-2");
        Assert.True(code == 0, errors);
        Assert.Contains($"{owners[1]}: moved {fleet.Topic}[1] to 8", output, StringComparison.Ordinal);
        await WaitUntil(() => Handled(a, b, 1).Count == 18, "offsets 8 and 9 of partition 1 are handled again", a, b);

        var byProcess = (owners[0] == "a" ? a : b, owners[1] == "a" ? a : b);
        // Each owner handled its own partition again (keys run concurrently, so offsets are compared in order).
        Assert.Equal(Enumerable.Range(0, 10).Concat(Enumerable.Range(4, 6)).Order(), Received(byProcess.Item1, 0).Select(o => (int)o).Order());
        Assert.Equal(Enumerable.Range(0, 10).Concat(Enumerable.Range(4, 6)).Concat([8, 9]).Order(), Received(byProcess.Item2, 1).Select(o => (int)o).Order());
    }

    /// <summary>The offsets of <paramref name="partition"/> both processes handled, in the order each printed them.</summary>
    private static List<long> Handled(CliProcess a, CliProcess b, int partition) => [.. Received(a, partition), .. Received(b, partition)];

    private static IEnumerable<long> Received(CliProcess process, int partition) =>
        process.Output.Lines.Select(l => ReceivedLine().Match(l)).Where(m => m.Success && m.Groups[2].Value == partition.ToString(CultureInfo.InvariantCulture))
            .Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));

    private static async Task WaitUntil(Func<bool> condition, string what, params CliProcess[] processes)
    {
        var deadline = DateTime.UtcNow + Timeouts.Rebalance;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}; {string.Join(Environment.NewLine, processes.Select(p => p.ToString()))}");
            await Task.Delay(50);
        }
    }

    [GeneratedRegex("^received key .* in offset (\\d+) from partition (\\d+)$")]
    private static partial Regex ReceivedLine();

    /// <summary>One test's topic (two partitions), fleet topics and group, and how to start and operate its processes.</summary>
    private sealed record Fleet(string Bootstrap, string Topic, string Control, string Status, string Group)
    {
        public static Fleet Create(EmbeddedKafkaFixture kafka) =>
            new(kafka.Cluster.BootstrapServers, kafka.CreateTopic(2), kafka.CreateTopic(1), kafka.CreateTopic(1), Names.Unique("group"));

        /// <summary><c>conveyor consume</c> as instance <paramref name="instance"/> of the group (KIP-848: a member joins a running group in seconds).</summary>
        public CliProcess Start(string instance) => CliProcess.Start(
            "consume", "-b", Bootstrap, "--topic", Topic, "--group", Group, "-X", "group.protocol=consumer", "--commit-interval", "100ms",
            "--status-topic", Status, "--control-topic", Control, "--instance-id", instance, "--status-interval", "300ms");

        /// <summary>Each partition's owner, once the status topic shows what <paramref name="until"/> waits for.</summary>
        public async Task<Dictionary<int, string>> OwnersAsync(Func<FleetView, bool> until)
        {
            var operators = new FleetOperator(Bootstrap, Group, Control, Status);
            var instances = await Task.Run(() => operators.Fleet(until));
            return instances.Where(i => i.Live && i.Status.Group == Group)
                .SelectMany(i => i.Status.Partitions.Select(p => (p.Partition, i.Status.Instance))).ToDictionary();
        }

        /// <summary>Each partition's owner, once two live processes hold one partition each.</summary>
        public Task<Dictionary<int, string>> OwnersOnceEachHoldsOneAsync() =>
            OwnersAsync(view => view.Live(Group, DateTimeOffset.UtcNow) is { Count: 2 } live && live.All(i => i.Partitions.Count == 1));

        /// <summary>Produces <paramref name="count"/> users to one partition, in order.</summary>
        public async Task ProduceAsync(int partition, int count)
        {
            using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = Bootstrap, LingerMs = 5, EnableIdempotence = true }).Build();
            for (var i = 0; i < count; i++)
            {
                producer.Produce(new TopicPartition(Topic, partition), new Message<string, string> { Key = $"user-{i}", Value = $$"""{"id":{{i}},"email":"user-{{i}}@foobar.com"}""" });
            }

            await Task.Run(() => producer.Flush(Timeouts.Flow));
        }

        /// <summary><c>conveyor control</c> against the group, in the test's process.</summary>
        public async Task<(int Code, string Output, string Errors)> ControlAsync(string command, params string[] args)
        {
            var output = new LineRecorder();
            var errors = new LineRecorder();
            string[] all = ["control", command, "-b", Bootstrap, "--group", Group, "--control-topic", Control, "--status-topic", Status, "--by", "test", "--wait", "00:00:20", .. args];
            var code = await ConveyorCommandLine.InvokeAsync(all, output, errors).WaitAsync(Timeouts.Flow * 2);
            return (code, output.ToString(), errors.ToString());
        }
    }
}

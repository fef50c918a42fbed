using Confluent.Kafka;
using Conveyor.Cli.CommandLine;
using Conveyor.IntegrationTests.Support;

namespace Conveyor.IntegrationTests.Cli;

/// <summary><c>conveyor offsets reset</c> on the embedded broker: a dry run by default, <c>--execute</c> moves exactly what it names, and every refusal changes nothing.</summary>
[Collection(CliCollection.Name)]
public class OffsetsResetCliTests(EmbeddedKafkaFixture kafka)
{
    // Three partitions of five messages; the group committed 2, 3 and 4.
    private static readonly long[] Committed = [2, 3, 4];

    [Fact]
    public async Task A_dry_run_prints_every_partition_and_changes_nothing()
    {
        var (topic, group) = await GroupWithOffsetsAsync();

        var (exitCode, output, errors) = await RunAsync("--group", group, "--topic", topic, "--to-earliest");

        Assert.True(exitCode == 0, errors.ToString());
        Assert.Equal($"group {group} topic {topic} --to-earliest: dry run, nothing changed (add --execute to commit)", output.Lines[0]);
        Assert.Equal(
            $"members not checked: cannot tell whether group {group} has members: the cluster at {kafka.Cluster.BootstrapServers} does not implement DescribeGroups "
            + "(Local: Required feature not supported by broker); Conveyor's embedded broker does not, a real Kafka cluster does; the cluster refuses the commit while it has any",
            output.Lines[1]);
        Assert.Equal(["PARTITION  CURRENT  NEW", "        0        2    0", "        1        3    0", "        2        4    0"], output.Lines.SkipWhile(l => !l.StartsWith("PARTITION", StringComparison.Ordinal)));
        Assert.Equal(Committed, CommittedOffsets(topic, group));
    }

    [Fact]
    public async Task Execute_moves_exactly_the_partitions_named()
    {
        var (topic, group) = await GroupWithOffsetsAsync();

        var (exitCode, _, errors) = await RunAsync("--group", group, "--topic", topic, "--partition", "0", "--partition", "2", "--shift-by", "-2", "--execute");
        Assert.True(exitCode == 0, errors.ToString());
        Assert.Equal([0L, 3, 2], CommittedOffsets(topic, group));

        (exitCode, _, errors) = await RunAsync("--group", group, "--topic", topic, "-p", "1", "--to-latest", "--execute");
        Assert.True(exitCode == 0, errors.ToString());
        Assert.Equal([0L, 5, 2], CommittedOffsets(topic, group));

        (exitCode, _, errors) = await RunAsync("--group", group, "--topic", topic, "--to-offset", "1", "--execute");
        Assert.True(exitCode == 0, errors.ToString());
        Assert.Equal([1L, 1, 1], CommittedOffsets(topic, group));
    }

    [Fact]
    public async Task A_group_with_live_members_is_refused_and_keeps_its_offsets_saying_that_they_could_not_be_counted()
    {
        var (topic, group) = await GroupWithOffsetsAsync();
        using var member = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = kafka.Cluster.BootstrapServers,
            GroupId = group,
            SessionTimeoutMs = 6000,
            EnableAutoCommit = false,
        }).Build();
        member.Subscribe(topic);
        using var timeout = new CancellationTokenSource(Timeouts.Rebalance);
        while (member.Assignment.Count == 0)
        {
            member.Consume(TimeSpan.FromMilliseconds(100));
            timeout.Token.ThrowIfCancellationRequested();
        }

        var (exitCode, _, errors) = await RunAsync("--group", group, "--topic", topic, "--to-earliest", "--execute");

        // The embedded broker does not answer DescribeGroups: the members are not counted, the
        // cluster's refusal of the commit is what refuses the reset, and the line says both.
        Assert.Equal(1, exitCode);
        Assert.StartsWith($"error: the cluster refused the commit for group {group} as it does while a group has members (", errors.Lines[0], StringComparison.Ordinal);
        Assert.Contains(
            $"; whether it has any could not be checked: the cluster at {kafka.Cluster.BootstrapServers} does not implement DescribeGroups (",
            errors.Lines[0],
            StringComparison.Ordinal);
        Assert.Contains("Nothing changed. Stop its members first, or move the running group with ", errors.Lines[0], StringComparison.Ordinal);
        Assert.EndsWith(" control rewind.", errors.Lines[0], StringComparison.Ordinal);
        Assert.Single(errors.Lines);
        member.Close();
        Assert.Equal(Committed, CommittedOffsets(topic, group));
    }

    [Theory]
    [InlineData("unknown group", 1, "has no committed offsets on topic", "--to-earliest")]
    [InlineData("unknown topic", 1, "does not exist on", "--to-earliest")]
    [InlineData("unknown partition", 1, "has no partition 7 (it has partitions 0 to 2); nothing changed.", "--to-earliest", "--partition", "7")]
    [InlineData("offset past the end", 1, "--to-offset 6 is outside partition 0's offsets 0 (earliest) to 5 (end); nothing changed.", "--to-offset", "6")]
    [InlineData("shift past the end", 1, "--shift-by 3 moves partition 1 from 3 to 6, outside partition 1's offsets 0 (earliest) to 5 (end); nothing changed.", "--shift-by", "3")]
    [InlineData("shift past the start", 1, "--shift-by -3 moves partition 0 from 2 to -1, outside partition 0's offsets 0 (earliest) to 5 (end); nothing changed.", "--shift-by", "-3")]
    [InlineData("no target", 2, "needs exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by (given: none)")]
    [InlineData("two targets", 2, "(given: --to-earliest, --shift-by)", "--to-earliest", "--shift-by", "1")]
    [InlineData("a date that is not one", 2, "--to-datetime must be a date and time", "--to-datetime", "yesterday")]
    // The embedded broker answers every look-up by time with "no offset", so the date path can be
    // run here only as far as that answer; a real cluster finds the offset.
    [InlineData("a date with no offset", 1, "partition 0 has no message at or after 2026-01-01T00:00:00.000Z; nothing changed. Use --to-latest", "--to-datetime", "2026-01-01T00:00:00Z")]
    public async Task Bad_input_is_one_line_with_its_exit_code_and_changes_nothing(string what, int expectedExit, string expected, params string[] target)
    {
        var (topic, group) = await GroupWithOffsetsAsync();
        var named = (Group: what == "unknown group" ? Names.Unique("group") : group, Topic: what == "unknown topic" ? Names.Unique("topic") : topic);

        var (exitCode, output, errors) = await RunAsync(["--group", named.Group, "--topic", named.Topic, .. target, "--execute"]);

        Assert.True(exitCode == expectedExit, $"{what}: exit {exitCode}; {errors}");
        Assert.Contains(expected, errors.Lines.Single(), StringComparison.Ordinal);
        Assert.Empty(output.Lines);
        Assert.Equal(Committed, CommittedOffsets(topic, group));
    }

    private async Task<(string Topic, string Group)> GroupWithOffsetsAsync()
    {
        var topic = kafka.CreateTopic(partitions: 3);
        var group = Names.Unique("group");
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = kafka.Cluster.BootstrapServers }).Build())
        {
            for (var partition = 0; partition < 3; partition++)
            {
                for (var i = 0; i < 5; i++)
                {
                    await producer.ProduceAsync(new TopicPartition(topic, partition), new Message<Null, string> { Value = "x" });
                }
            }
        }

        using var consumer = Consumer(group);
        consumer.Commit([.. Committed.Select((offset, partition) => new TopicPartitionOffset(topic, partition, offset))]);
        return (topic, group);
    }

    private long[] CommittedOffsets(string topic, string group)
    {
        using var consumer = Consumer(group);
        return [.. consumer.Committed([.. Enumerable.Range(0, 3).Select(p => new TopicPartition(topic, p))], TimeSpan.FromSeconds(10))
            .OrderBy(c => c.Partition.Value).Select(c => c.Offset.Value)];
    }

    private IConsumer<Ignore, Ignore> Consumer(string group) =>
        new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = kafka.Cluster.BootstrapServers, GroupId = group, EnableAutoCommit = false }).Build();

    private async Task<(int ExitCode, LineRecorder Output, LineRecorder Errors)> RunAsync(params string[] args)
    {
        var output = new LineRecorder();
        var errors = new LineRecorder();
        var exitCode = await ConveyorCommandLine.InvokeAsync(["offsets", "reset", "-b", kafka.Cluster.BootstrapServers, .. args], output, errors).WaitAsync(Timeouts.Stop);
        return (exitCode, output, errors);
    }
}

using Conveyor.IntegrationTests.Support;

namespace Conveyor.IntegrationTests.Cli;

/// <summary><c>conveyor pipe</c> as a real process: a topic forwarded to two topics, transformed.</summary>
[Collection(CliCollection.Name)]
public class PipeCliTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task Pipe_forwards_every_message_to_each_output_topic_transformed_and_commits_it()
    {
        const int count = 40;
        var input = kafka.CreateTopic(partitions: 3);
        var first = kafka.CreateTopic(partitions: 2);
        var second = kafka.CreateTopic(partitions: 2);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, input, Enumerable.Range(1, count).Select(i => ((string?)$"user-{i}", $"hello {i}")));

        await using var pipe = CliProcess.Start(
            "pipe", "-b", kafka.Cluster.BootstrapServers, "--topic", input, "--group", group,
            "--to", first, "--to", second, "--transform", "upper", "--max-messages", $"{count}", "--commit-interval", "01:00:00");

        Assert.Equal(0, await pipe.WaitForExitAsync(Timeouts.Flow));
        Assert.Equal(count, pipe.Output.Lines.Count(l => l.StartsWith("forwarded offset ", StringComparison.Ordinal)));
        Assert.Equal(count, kafka.Committed(group, input, 3).Values.Sum()); // committed by the stop
        var expected = Enumerable.Range(1, count).Select(i => $"HELLO {i}").ToHashSet();
        foreach (var output in new[] { first, second })
        {
            var written = KafkaTestClient.ReadAll(kafka.Cluster.BootstrapServers, output, count, Timeouts.Flow);
            Assert.Equal(expected, written.Select(r => r.Message.Value!).ToHashSet());
            Assert.All(written, r => Assert.Equal($"user-{r.Message.Value!["HELLO ".Length..]}", r.Message.Key));
        }
    }

    [Fact]
    public async Task Pipe_max_messages_writes_that_many_and_no_more_while_more_wait()
    {
        const int waiting = 600;
        var input = kafka.CreateTopic(partitions: 3);
        var output = kafka.CreateTopic(partitions: 1);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, input, Enumerable.Range(1, waiting).Select(i => ((string?)$"user-{i}", $"hello {i}")));

        await using var pipe = CliProcess.Start(
            "pipe", "-b", kafka.Cluster.BootstrapServers, "--topic", input, "--group", Names.Unique("group"), "--to", output, "--max-messages", "5");

        Assert.Equal(0, await pipe.WaitForExitAsync(Timeouts.Flow));
        // The workers that race ahead while the stop is on its way forward nothing: exactly 5 records are written.
        Assert.Equal(5, pipe.Output.Lines.Count(l => l.StartsWith("forwarded offset ", StringComparison.Ordinal)));
        Assert.Equal(5, KafkaTestClient.ReadToEnd(kafka.Cluster.BootstrapServers, output, Timeouts.Flow).Count);
    }

    [Fact]
    public async Task Pipe_ending_with_a_stopped_partition_says_so_and_exits_1()
    {
        var input = kafka.CreateTopic(partitions: 1);
        var output = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, input, [("big", new string('x', 4_000))]);

        // The output is larger than this producer may send (MsgSizeTooLarge): the message fails for good and stops its partition.
        await using var pipe = CliProcess.Start(
            "pipe", "-b", kafka.Cluster.BootstrapServers, "--topic", input, "--group", group, "--to", output,
            "--on-failure", "StopPartition", "--max-attempts", "1", "--max-messages", "1", "-X", "message.max.bytes=2000");

        // Failed work left behind is a failure, as for consume and demo, not a clean end.
        Assert.True(await pipe.WaitForExitAsync(Timeouts.Flow) == 1, pipe.ToString());
        Assert.Contains(pipe.Output.Lines, l => l.StartsWith("STOPPED partition 0 at offset 0 ", StringComparison.Ordinal));
        Assert.StartsWith("error: 1 partition stopped at a message that failed for good (--on-failure StopPartition)", pipe.Errors.Lines.Last(l => l.Length > 0), StringComparison.Ordinal);
        Assert.Empty(KafkaTestClient.ReadToEnd(kafka.Cluster.BootstrapServers, output, Timeouts.Flow));
        Assert.True(kafka.Committed(group, input, 1)[0] <= 0); // not past the stopped message (-1001: nothing committed)
    }

    [Fact]
    public async Task Pipe_without_a_broker_runs_its_sample_on_an_embedded_one_and_stops()
    {
        await using var pipe = CliProcess.Start("pipe", "--topic", "in", "--to", "a", "--to", "b", "-n", "12", "--commit-interval", "00:00:00.100");

        Assert.Equal(0, await pipe.WaitForExitAsync(Timeouts.Flow * 2));
        Assert.Contains("pipe finished: forwarded 12 messages to a (12 records), b (12 records)", pipe.Output.Lines);
    }

    [Fact]
    public async Task Pipe_with_exactly_once_runs_its_sample_in_transactions_on_an_embedded_broker()
    {
        await using var pipe = CliProcess.Start(
            "pipe", "--topic", "in", "--to", "a", "-n", "12", "--commit-interval", "00:00:00.100",
            "--guarantee", "ExactlyOnce", "--ordering", "Partition", "--transactional-id", "pipe-test");

        Assert.Equal(0, await pipe.WaitForExitAsync(Timeouts.Flow * 2));
        Assert.Contains("pipe finished: forwarded 12 messages to a (12 records)", pipe.Output.Lines);
    }
}

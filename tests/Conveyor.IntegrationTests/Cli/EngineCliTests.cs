using System.Globalization;
using Conveyor.IntegrationTests.Support;

namespace Conveyor.IntegrationTests.Cli;

/// <summary><c>conveyor consume</c> on the engine, as a real process.</summary>
[Collection(CliCollection.Name)]
public class EngineCliTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task Sigterm_drains_commits_and_exits_0()
    {
        const int count = 200;
        var topic = kafka.CreateTopic(partitions: 3);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic,
            Enumerable.Range(1, count).Select(i => ((string?)$"user-{i}", $"{{\"id\":{i},\"email\":\"user-{i}@foobar.com\"}}")));

        // A commit interval far beyond the test: whatever is committed, the stop committed it.
        await using var consumer = CliProcess.Start(
            "consume", "-b", kafka.Cluster.BootstrapServers, "--topic", topic, "--group", group, "--commit-interval", "01:00:00");
        await consumer.Output.WaitForLines("received key user-", count, Timeouts.Flow);

        consumer.Terminate();

        Assert.Equal(0, await consumer.WaitForExitAsync(Timeouts.Stop));
        Assert.Equal(count, kafka.Committed(group, topic, 3).Values.Sum());
        Assert.Contains(consumer.Output.Lines, l => l.StartsWith("committed offset Offset(", StringComparison.Ordinal));
        Assert.Contains("ALL partitions have been REVOKED", consumer.Output.Lines);
    }

    [Fact]
    public async Task Max_messages_handles_that_many_and_commits_only_theirs()
    {
        const int waiting = 200;
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic,
            Enumerable.Range(1, waiting).Select(i => ((string?)$"user-{i}", $"{{\"id\":{i},\"email\":\"user-{i}@foobar.com\"}}")));

        await using var consumer = CliProcess.Start(
            "consume", "-b", kafka.Cluster.BootstrapServers, "--topic", topic, "--group", group, "--max-messages", "5");

        Assert.Equal(0, await consumer.WaitForExitAsync(Timeouts.Flow));
        var received = consumer.Output.Lines
            .Where(l => l.StartsWith("received key ", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(" in offset ")[1].Split(' ')[0], CultureInfo.InvariantCulture))
            .ToHashSet();
        Assert.Equal(5, received.Count);
        // Committed: up to the first offset not handled (the others handled wait in the commit's metadata).
        var firstUnhandled = Enumerable.Range(0, waiting).First(o => !received.Contains(o));
        Assert.Equal(firstUnhandled, kafka.Committed(group, topic, 1)[0]);
    }

    [Fact]
    public async Task Max_messages_ending_with_a_stopped_partition_says_so_and_exits_1()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic,
            Enumerable.Range(1, 3).Select(i => ((string?)$"user-{i}", $"{{\"id\":{i},\"email\":\"user-{i}@foobar.com\"}}")));

        await using var consumer = CliProcess.Start(
            "consume", "-b", kafka.Cluster.BootstrapServers, "--topic", topic, "--group", Names.Unique("group"),
            "--fail-rate", "1", "--max-attempts", "1", "--on-failure", "StopPartition", "--max-messages", "1");

        // Failed work left behind is a failure, as for demo and --commit manual, not a clean end.
        Assert.Equal(1, await consumer.WaitForExitAsync(Timeouts.Flow));
        Assert.Contains(consumer.Output.Lines, l => l.StartsWith("STOPPED partition 0 at offset ", StringComparison.Ordinal));
        Assert.StartsWith("error: 1 partition stopped at a message that failed for good (--on-failure StopPartition)", consumer.Errors.Lines.Last(l => l.Length > 0), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failing_processing_is_retried_and_then_dead_lettered_not_skipped()
    {
        const int count = 50;
        var topic = kafka.CreateTopic(partitions: 2);
        kafka.Cluster.CreateTopic(topic + ".dlq", 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic,
            Enumerable.Range(1, count).Select(i => ((string?)$"user-{i}", $"{{\"id\":{i},\"email\":\"user-{i}@foobar.com\"}}")));

        // Every attempt fails: each message is tried twice, then dead-lettered; none is skipped.
        await using var consumer = CliProcess.Start(
            "consume", "-b", kafka.Cluster.BootstrapServers, "--topic", topic, "--group", group,
            "--fail-rate", "1", "--max-attempts", "2", "--retry-delay", "00:00:00.001", "--max-messages", $"{count}");

        Assert.Equal(0, await consumer.WaitForExitAsync(Timeouts.Flow));
        Assert.Equal(count, consumer.Output.Lines.Count(l => l.StartsWith("retrying offset ", StringComparison.Ordinal)));
        Assert.Equal(count, consumer.Output.Lines.Count(l => l.StartsWith("dead-lettered offset ", StringComparison.Ordinal)));
        Assert.Equal(count, KafkaTestClient.ReadAll(kafka.Cluster.BootstrapServers, topic + ".dlq", count, Timeouts.Flow).Count);
        Assert.Equal(count, kafka.Committed(group, topic, 2).Values.Sum());
    }

    [Fact]
    public async Task Stats_prints_a_live_summary_from_the_processors_status()
    {
        const int count = 30;
        var topic = kafka.CreateTopic(partitions: 2);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic,
            Enumerable.Range(1, count).Select(i => ((string?)$"user-{i}", $"{{\"id\":{i},\"email\":\"user-{i}@foobar.com\"}}")));

        await using var consumer = CliProcess.Start(
            "consume", "-b", kafka.Cluster.BootstrapServers, "--topic", topic, "--group", group,
            "--stats", "--stats-interval", "00:00:00.300", "--commit-interval", "00:00:00.100", "-X", "statistics.interval.ms=100");
        await consumer.Output.WaitForLines($"stats: ", 1, Timeouts.Flow);
        await consumer.Output.WaitForLines($"processed {count}, in-flight 0, lag 0, retries 0, dead letters 0", 1, Timeouts.Flow);
        consumer.Terminate();

        Assert.Equal(0, await consumer.WaitForExitAsync(Timeouts.Stop));
        Assert.Matches(@"^stats: \d+\.\d msg/s, processed \d+, in-flight \d+, lag (\d+|\?), retries \d+, dead letters \d+, limit \d+$", consumer.Output.Lines.First(l => l.StartsWith("stats: ", StringComparison.Ordinal)));
    }
}

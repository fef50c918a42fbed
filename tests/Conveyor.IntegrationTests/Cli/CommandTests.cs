using System.Diagnostics;
using Conveyor.Cli.CommandLine;
using Conveyor.IntegrationTests.Support;
using Conveyor.Testing;

namespace Conveyor.IntegrationTests.Cli;

/// <summary>The commands end to end, in this process, against the embedded broker.</summary>
[Collection(CliCollection.Name)]
public class CommandTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task Demo_runs_the_tutorial_flow_on_the_engine_and_its_own_broker_and_stops_with_a_summary()
    {
        var (exitCode, output, _) = await Run("demo", "--commit-interval", "00:00:00.100", "--fail-rate", "0.3", "--max-attempts", "10", "--retry-delay", "00:00:00.001", "--seed", "7");

        Assert.Equal(0, exitCode);
        Assert.StartsWith("embedded Kafka broker started at 127.0.0.1:", output[0], StringComparison.Ordinal);
        Assert.Equal(6, output.Count(l => l.StartsWith("rebalanced partition ", StringComparison.Ordinal)));
        Assert.Equal(21, output.Count(l => l.StartsWith("produced message with key ", StringComparison.Ordinal)));
        Assert.Equal(20, output.Count(l => l.StartsWith("received key user-", StringComparison.Ordinal)));
        Assert.Contains(output, l => l.StartsWith("retrying offset ", StringComparison.Ordinal));
        Assert.Single(output, l => l.StartsWith("dead-lettered offset ", StringComparison.Ordinal) && l.Contains("to rust.dlq", StringComparison.Ordinal));
        Assert.Contains(output, l => l.StartsWith("committed offset Offset(", StringComparison.Ordinal));
        Assert.Matches("^demo finished: produced 21, processed 20, retried [1-9][0-9]*, dead-lettered 1, committed 21$", output[^1]);
    }

    [Fact]
    public async Task Demo_with_bootstrap_servers_uses_that_cluster()
    {
        var topic = kafka.CreateTopic(partitions: 3);
        kafka.Cluster.CreateTopic(topic + ".dlq", 1); // the embedded broker has no admin API to create it with

        var (exitCode, output, _) = await Run(
            "demo", "-b", kafka.Cluster.BootstrapServers, "--topic", topic, "--group", Names.Unique("group"), "--messages", "7",
            "--fail-rate", "0", "--malformed", "0", "--commit-interval", "00:00:00.100");

        Assert.Equal(0, exitCode);
        Assert.Equal($"using Kafka at {kafka.Cluster.BootstrapServers}", output[0]);
        Assert.Equal(3, output.Count(l => l.StartsWith("rebalanced partition ", StringComparison.Ordinal)));
        Assert.Equal("demo finished: produced 7, processed 7, retried 0, dead-lettered 0, committed 7", output[^1]);
    }

    [Fact]
    public async Task Produce_prints_one_delivery_report_per_message()
    {
        var topic = kafka.CreateTopic(partitions: 2);

        var (exitCode, output, _) = await Run("produce", "-b", kafka.Cluster.BootstrapServers, "--topic", topic, "--count", "5", "--first-id", "11");

        Assert.Equal(0, exitCode);
        Assert.Equal(
            Enumerable.Range(11, 5).Select(id => $"user-{id}"),
            output.Select(l => l.Split(' ')[4]).Order(StringComparer.Ordinal));
        Assert.All(output, l => Assert.Matches("^produced message with key user-\\d+ in offset \\d+ of partition [01]$", l));
    }

    [Fact]
    public async Task A_refused_connection_to_every_bootstrap_broker_is_one_line_at_once_with_the_tools_command()
    {
        var clock = Stopwatch.StartNew();

        var (exitCode, _, errors) = await Run("consume", "-b", "127.0.0.1:1");

        clock.Stop();
        Assert.Equal(1, exitCode);
        var line = Assert.Single(errors.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: could not reach Kafka at 127.0.0.1:1: every broker refused the connection (Connect to ipv4#127.0.0.1:1 failed: Connection refused", line, StringComparison.Ordinal);
        Assert.EndsWith("for a local broker run: conveyor broker", line, StringComparison.Ordinal);
        // At once rather than after the probe's 10 s timeout: 0.5 s at load 35, so half the timeout
        // leaves room for a descheduled test host and still fails when the probe waits it out.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("consume")]
    [InlineData("produce")]
    [InlineData("pipe", "--to", "out")]
    public async Task A_client_librdkafka_cannot_create_is_a_usage_error_in_its_words(params string[] command)
    {
        var (exitCode, _, errors) = await Run([.. command, "-b", kafka.Cluster.BootstrapServers, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=BOGUS"]);

        Assert.Equal(2, exitCode);
        Assert.Equal(
            "error: librdkafka cannot create a client with these settings: Unsupported SASL mechanism: BOGUS. Check the -X properties it names.",
            FirstLine(errors));
    }

    [Fact]
    public async Task A_missing_ssl_key_file_is_a_usage_error_in_librdkafkas_words()
    {
        var (exitCode, _, errors) = await Run("consume", "-b", kafka.Cluster.BootstrapServers, "-X", "security.protocol=SSL", "-X", "ssl.key.location=/nonexistent");

        Assert.Equal(2, exitCode);
        Assert.StartsWith("error: librdkafka cannot create a client with these settings: ssl.key.location failed", FirstLine(errors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sasl_against_a_broker_without_sasl_names_the_handshake_not_an_unreachable_cluster()
    {
        var clock = Stopwatch.StartNew();

        var (exitCode, _, errors) = await Run(
            "consume", "-b", kafka.Cluster.BootstrapServers, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN",
            "-X", "sasl.username=u", "-X", "sasl.password=secret-password");

        Assert.Equal(1, exitCode);
        Assert.StartsWith($"error: could not connect to Kafka at {kafka.Cluster.BootstrapServers}: ", FirstLine(errors), StringComparison.Ordinal);
        Assert.Contains("SASL Handshake not supported by broker", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-password", errors, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"took {clock.Elapsed}");

        // The positive control: the same run with its librdkafka configuration dump on writes the
        // password's property to standard error, masked, so the check above had something to catch.
        var (_, _, debugErrors) = await Run(
            "consume", "-b", kafka.Cluster.BootstrapServers, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN",
            "-X", "sasl.username=u", "-X", "sasl.password=secret-password", "-X", "debug=conf");
        Assert.Contains("sasl.password", debugErrors, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-password", debugErrors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_against_a_plaintext_listener_names_the_handshake()
    {
        // A plaintext listener of its own, not the embedded broker's: that one would log each TLS
        // record it cannot read as a request ("Invalid ApiKey") on the test run's console.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var answering = AnswerInPlaintextAsync(listener);
        var (exitCode, _, errors) = await Run("produce", "-b", $"127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}", "-X", "security.protocol=SSL");
        listener.Stop();
        await answering;

        Assert.Equal(1, exitCode);
        Assert.Contains("SSL handshake failed", FirstLine(errors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_that_does_not_resolve_is_named_at_once()
    {
        var clock = Stopwatch.StartNew();

        var (exitCode, _, errors) = await Run("consume", "-b", "nonexistent.invalid:9092");

        Assert.Equal(1, exitCode);
        Assert.StartsWith("error: could not connect to Kafka at nonexistent.invalid:9092: ", FirstLine(errors), StringComparison.Ordinal);
        Assert.Contains("Failed to resolve 'nonexistent.invalid:9092'", errors, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Debug_shows_librdkafkas_lines_while_the_connection_is_probed()
    {
        var (exitCode, _, errors) = await Run(
            "consume", "-b", kafka.Cluster.BootstrapServers, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN",
            "-X", "sasl.username=u", "-X", "sasl.password=p", "-X", "debug=broker,security");

        Assert.Equal(1, exitCode);
        Assert.Contains("librdkafka ", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Debug_shows_the_engine_consumers_librdkafka_lines()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, [("k", "{\"id\":1,\"email\":\"a@b\"}")]);

        var (exitCode, _, errors) = await Run(
            "consume", "-b", kafka.Cluster.BootstrapServers, "--topic", topic, "--group", Names.Unique("group"), "-X", "debug=consumer,cgrp", "--max-messages", "1");

        Assert.Equal(0, exitCode);
        Assert.Contains("librdkafka Debug CGRPJOINSTATE: ", errors, StringComparison.Ordinal); // only a group member logs these
    }

    [Fact]
    public async Task Producing_to_a_topic_that_does_not_exist_says_so_instead_of_creating_it()
    {
        var topic = Names.Unique("missing");

        var (exitCode, output, errors) = await Run("produce", "-b", kafka.Cluster.BootstrapServers, "--topic", topic, "--count", "1");

        Assert.Equal(1, exitCode);
        Assert.Empty(output);
        Assert.StartsWith($"error: topic '{topic}' (given with --topic) does not exist on {kafka.Cluster.BootstrapServers}.", FirstLine(errors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_dead_letter_topic_is_warned_about_before_consuming()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, [("k", "{\"id\":1,\"email\":\"a@b\"}")]);

        var (exitCode, _, errors) = await Run("consume", "-b", kafka.Cluster.BootstrapServers, "--topic", topic, "--group", Names.Unique("group"), "--max-messages", "1");

        Assert.Equal(0, exitCode);
        Assert.StartsWith($"warning: dead-letter topic '{topic}.dlq' (see --dead-letter-topic) does not exist", FirstLine(errors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_with_StopPartition_ends_says_which_partitions_stopped_and_exits_1()
    {
        var (exitCode, output, errors) = await Run(
            "demo", "--on-failure", "StopPartition", "--fail-rate", "1", "--max-attempts", "1", "--messages", "6", "--malformed", "0",
            "--commit-interval", "100ms", "--timeout", "1m");

        Assert.Equal(1, exitCode);
        Assert.Contains(output, l => l.StartsWith("STOPPED partition ", StringComparison.Ordinal));
        Assert.DoesNotContain(output, l => l.Contains("too many unfinished messages", StringComparison.Ordinal));
        Assert.Matches("^demo stopped: produced 6, processed 0, .*, partitions stopped [1-6]$", output[^1]);
        Assert.Matches("^error: [1-6] partitions? stopped at a message that failed for good \\(--on-failure StopPartition\\)", FirstLine(errors));
    }

    [Fact]
    public async Task Consuming_a_topic_that_does_not_exist_says_so()
    {
        var (exitCode, _, errors) = await Run("consume", "-b", kafka.Cluster.BootstrapServers, "--topic", "no-such-topic");

        Assert.Equal(1, exitCode);
        Assert.Contains("topic 'no-such-topic' (given with --topic) does not exist", errors, StringComparison.Ordinal);
        Assert.Contains("kafka-topics.sh", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pipe_output_topic_that_does_not_exist_is_named_with_its_option()
    {
        var input = kafka.CreateTopic(partitions: 1);

        var (exitCode, _, errors) = await Run("pipe", "-b", kafka.Cluster.BootstrapServers, "--topic", input, "--to", "no-such-output");

        Assert.Equal(1, exitCode);
        Assert.Contains("topic 'no-such-output' (given with --to) does not exist", errors, StringComparison.Ordinal);
        Assert.Contains("or check --to.", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kip848_consumer_runs_without_the_classic_defaults_and_a_classic_property_beside_it_is_a_usage_error()
    {
        var topic = kafka.CreateTopic(partitions: 2);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, 4).Select(i => ((string?)$"k{i}", $"{{\"id\":{i},\"email\":\"u{i}@example.com\"}}")));

        var (exitCode, output, errors) = await Run(
            "consume", "-b", kafka.Cluster.BootstrapServers, "--topic", topic, "--group", Names.Unique("group"), "-X", "group.protocol=consumer", "--max-messages", "4");
        Assert.True(exitCode == 0, errors);
        Assert.Equal(4, output.Count(l => l.StartsWith("received key ", StringComparison.Ordinal)));

        (exitCode, _, errors) = await Run(
            "consume", "-b", kafka.Cluster.BootstrapServers, "--topic", topic, "-X", "group.protocol=consumer", "-X", "session.timeout.ms=6000");
        Assert.Equal(2, exitCode);
        Assert.Equal("error: -X session.timeout.ms cannot be used with -X group.protocol=consumer (KIP-848): the broker sets it for such groups. "
            + "Remove -X session.timeout.ms, or drop group.protocol=consumer to use the classic protocol.", errors.Trim());
    }

    [Fact]
    public async Task A_group_protocol_the_cluster_does_not_support_is_one_line_and_exit_1()
    {
        // Its own broker, without KIP-848 as a Kafka before 4.0.
        await using var cluster = EmbeddedKafkaCluster.Start();
        cluster.CreateTopic("orders", 1);
        cluster.CreateTopic("orders.dlq", 1);
        cluster.SetApiVersion(KafkaApiKey.ConsumerGroupHeartbeat, -1, -1);
        var clock = Stopwatch.StartNew();

        var (exitCode, _, errors) = await Run("consume", "-b", cluster.BootstrapServers, "--topic", "orders", "--group", Names.Unique("group"), "-X", "group.protocol=consumer");

        clock.Stop();
        Assert.Equal(1, exitCode);
        var line = Assert.Single(errors.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: The processor stopped because it could not start (FailWhenUnavailable): the cluster at {cluster.BootstrapServers} does not support group.protocol=consumer", line, StringComparison.Ordinal);
        // At once rather than after the 30 s UnavailableTimeout (librdkafka itself waits forever): 0.6 s
        // at load 35, so a third of the timeout leaves room for a descheduled test host.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task The_bootstrap_servers_come_from_the_environment_when_not_given()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        await using var process = CliProcess.Start(
            new Dictionary<string, string> { ["CONVEYOR_BOOTSTRAP_SERVERS"] = kafka.Cluster.BootstrapServers },
            "produce", "--topic", topic, "--count", "2");

        Assert.Equal(0, await process.WaitForExitAsync(Timeouts.Flow));
        Assert.Equal(
            ["produced message with key user-1 in offset 0 of partition 0", "produced message with key user-2 in offset 1 of partition 0"],
            process.Output.Lines);
    }

    [Fact]
    public async Task Produce_from_standard_input_sends_key_tab_value_lines()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        await using var process = CliProcess.Start("produce", "-b", kafka.Cluster.BootstrapServers, "--topic", topic, "--stdin");
        await process.Input.WriteAsync("alpha\t{\"id\":1,\"email\":\"a@b\"}\n\nno-tab-value\n");
        process.Input.Close();

        Assert.Equal(0, await process.WaitForExitAsync(Timeouts.Flow));
        Assert.Equal(
            ["produced message with key alpha in offset 0 of partition 0", "produced message with key (none) in offset 1 of partition 0"],
            process.Output.Lines);
    }

    /// <summary>Answers every connection with plaintext bytes and closes it, until the listener stops.</summary>
    private static async Task AnswerInPlaintextAsync(System.Net.Sockets.TcpListener listener)
    {
        try
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
                await client.GetStream().WriteAsync("not TLS\r\n"u8.ToArray());
            }
        }
        catch (System.Net.Sockets.SocketException)
        {
            // stopped
        }
        catch (ObjectDisposedException)
        {
            // stopped
        }
    }

    private static string FirstLine(string text) => text.Split(Environment.NewLine)[0];

    private static async Task<(int ExitCode, IReadOnlyList<string> Output, string Errors)> Run(params string[] args)
    {
        var output = new LineRecorder();
        var errors = new LineRecorder();
        var exitCode = await ConveyorCommandLine.InvokeAsync(args, output, errors).WaitAsync(Timeouts.Stop);
        return (exitCode, output.Lines, errors.ToString());
    }
}

/// <summary>The broker dies under a running consumer: what the consumer says about its partitions.</summary>
public class BrokerGoneTests
{
    [Fact]
    public async Task A_dead_broker_is_said_once_without_a_flood_its_partitions_lost_not_blamed_on_another_member_and_the_stop_says_what_was_not_committed()
    {
        var cluster = Conveyor.Testing.EmbeddedKafkaCluster.Start();
        cluster.CreateTopic("gone", 2);
        var output = new LineRecorder();
        var errors = new LineRecorder();
        using var stop = new CancellationTokenSource();
        var run = ConveyorCommandLine.InvokeAsync(["consume", "-b", cluster.BootstrapServers, "--topic", "gone", "--group", Names.Unique("group")], output, errors, stop.Token);
        var deadline = DateTime.UtcNow + Timeouts.Rebalance;
        while (!output.Lines.Any(l => l.StartsWith("assigned partitions:", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"never assigned:{Environment.NewLine}{output}{errors}");
            await Task.Delay(50);
        }

        await cluster.DisposeAsync(); // the only broker is gone: the session times out (6 s), the partitions are lost
        while (!output.Lines.Any(l => l.StartsWith("partitions LOST:", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline + Timeouts.Rebalance, $"no lost partitions reported:{Environment.NewLine}{output}{errors}");
            await Task.Delay(50);
        }

        await stop.CancelAsync();
        await run.WaitAsync(Timeouts.Stop);
        var lost = output.Lines.First(l => l.StartsWith("partitions LOST:", StringComparison.Ordinal));
        Assert.Contains("this member's place in the group ended", lost, StringComparison.Ordinal);
        Assert.DoesNotContain("another member", lost, StringComparison.Ordinal);

        // librdkafka reports the refused reconnections about 20 times a second: each said once (then counted every 30 s).
        var errorLines = errors.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(errorLines, l => l.StartsWith("lost the cluster: every broker is down", StringComparison.Ordinal));
        var refusals = errorLines.Count(l => l.Contains("Connection refused", StringComparison.Ordinal));
        Assert.True(refusals <= 3, $"{refusals} lines of refused connections:{Environment.NewLine}{errors}");
        Assert.StartsWith("stopped the consumer of group ", errorLines[^1], StringComparison.Ordinal);
        Assert.EndsWith("while the cluster was unreachable: nothing was committed; what was handled after them is not committed and will be consumed again", errorLines[^1], StringComparison.Ordinal);
    }
}

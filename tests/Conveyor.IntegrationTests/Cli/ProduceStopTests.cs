using Conveyor.IntegrationTests.Support;
using Conveyor.Testing;

namespace Conveyor.IntegrationTests.Cli;

/// <summary><c>conveyor produce</c> stopped in the middle, as a real process on a broker of its own (slowed, so messages are in flight).</summary>
public class ProduceStopTests
{
    [Fact]
    public async Task A_stop_in_the_middle_reports_every_message_it_sent_and_says_how_far_it_got()
    {
        const int count = 1000;
        await using var cluster = EmbeddedKafkaCluster.Start();
        var topic = Names.Unique("produce-stop");
        cluster.CreateTopic(topic, partitions: 1);
        await using var process = CliProcess.Start("produce", "-b", cluster.BootstrapServers, "--topic", topic, "--count", $"{count}", "--rate", "50");
        await process.Output.WaitForLines("produced message with key ", 5, Timeouts.Flow);

        // Every acknowledgement now takes 300 ms, and sending goes on at 50 a second: once slow ones are
        // reported, the messages sent in the 300 ms since are in flight at the stop.
        cluster.SetRoundTripDelay(1, TimeSpan.FromMilliseconds(300));
        var before = process.Output.Lines.Count; // only delivery reports: the topic is named, so no note
        await process.Output.WaitForLines("produced message with key ", before + 3, Timeouts.Flow); // +3: the first may have been acknowledged before the delay
        process.Terminate();

        Assert.Equal(0, await process.WaitForExitAsync(Timeouts.Stop));
        var reported = process.Output.Lines.Count(l => l.StartsWith("produced message with key ", StringComparison.Ordinal));
        var written = KafkaTestClient.ReadToEnd(cluster.BootstrapServers, topic, Timeouts.Flow).Count;
        Assert.Equal(written, reported); // each message sent was reported, none left in flight unsaid
        Assert.Equal($"stopped before the end: sent {reported} of {count} messages, {reported} delivered", process.Errors.Lines[^1]);
    }

    [Fact]
    public async Task A_stop_while_waiting_for_standard_input_ends_at_once_with_the_lines_summary()
    {
        await using var cluster = EmbeddedKafkaCluster.Start();
        var topic = Names.Unique("produce-stdin-stop");
        cluster.CreateTopic(topic, partitions: 1);
        await using var process = CliProcess.Start("produce", "-b", cluster.BootstrapServers, "--topic", topic, "--stdin");
        await process.Input.WriteAsync("a\tone\nb\ttwo\n");
        await process.Input.FlushAsync(); // standard input stays open: the command waits for a next line
        await process.Output.WaitForLines("produced message with key ", 2, Timeouts.Flow);

        process.Terminate();

        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(10))); // not the 30 s the host gives a stop
        Assert.Equal("2 lines: 2 delivered, 0 failed (0 not in the format given), 0 empty skipped", process.Errors.Lines[^1]);
    }
}

using Conveyor.IntegrationTests.Support;
using Conveyor.Testing;

namespace Conveyor.IntegrationTests.Cli;

/// <summary>
/// SIGTERM and Ctrl-C (SIGINT) to the <c>conveyor</c> command as a real process: the first asks for
/// a clean stop, a second one while it stops ends it at once, with one line.
/// </summary>
public class StopSignalProcessTests
{
    [Theory]
    [InlineData(15, "second SIGTERM", 143)]
    [InlineData(2, "second Ctrl-C", 130)]
    public async Task A_second_signal_while_the_command_waits_for_its_last_acknowledgements_stops_it_at_once_with_one_line(int signal, string said, int expectedExitCode)
    {
        await using var cluster = EmbeddedKafkaCluster.Start();
        var topic = Names.Unique("produce-signal");
        cluster.CreateTopic(topic, partitions: 1);
        await using var process = CliProcess.Start("produce", "-b", cluster.BootstrapServers, "--topic", topic, "--count", "1000", "--rate", "50");
        await process.Output.WaitForLines("produced message with key ", 3, Timeouts.Flow);

        // Acknowledgements now take 5 s: once slow ones are reported, the messages sent in the 5 s since
        // are in flight, and after the first signal the command waits for them (up to 10 s): the
        // second comes while it waits.
        cluster.SetRoundTripDelay(1, TimeSpan.FromSeconds(5));
        var before = process.Output.Lines.Count;
        await process.Output.WaitForLines("produced message with key ", before + 3, Timeouts.Flow); // +3: the first may have been acknowledged before the delay
        Send(process, signal);
        await process.WaitUntilDeliveredAsync(signal, Timeouts.Flow);
        Send(process, signal);

        var exitCode = await process.WaitForExitAsync(Timeouts.Stop);
        Assert.True(exitCode == expectedExitCode, $"exit code {exitCode}{Environment.NewLine}{process}");
        Assert.Equal($"{said}: stopping now, without waiting for running handlers or the final commit", process.Errors.Lines[^1]);
    }

    private static void Send(CliProcess process, int signal)
    {
        if (signal == 15)
        {
            process.Terminate();
        }
        else
        {
            process.Interrupt();
        }
    }
}

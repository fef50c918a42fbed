using System.Net;
using System.Net.Sockets;
using Conveyor.Cli.CommandLine;
using Conveyor.IntegrationTests.Support;

namespace Conveyor.IntegrationTests.Cli;

/// <summary>
/// Every command pointed at an address where nothing listens, as real processes, so that
/// librdkafka's own log lines on standard error would be seen too.
/// </summary>
public class UnreachableClusterTests
{
    [Theory]
    [InlineData("verify", "-n", "10")]
    [InlineData("consume")]
    [InlineData("produce", "--count", "1")]
    [InlineData("demo")]
    [InlineData("pipe", "--to", "out")]
    [InlineData("lag", "-g", "g")]
    [InlineData("dlq", "list", "-g", "g")]
    [InlineData("offsets", "reset", "-g", "g", "-t", "t", "--to-earliest")]
    [InlineData("control", "fleet", "--status-topic", "s")]
    public async Task A_refused_cluster_is_one_line_on_standard_error_and_exit_1(params string[] command)
    {
        await using var cli = CliProcess.Start([.. command, "-b", "127.0.0.1:1"]);

        Assert.Equal(1, await cli.WaitForExitAsync(Timeouts.Stop));
        var line = Assert.Single(cli.Errors.Lines, l => l.Length > 0);
        Assert.StartsWith("error: could not reach Kafka at 127.0.0.1:1: every broker refused the connection", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_web_server_at_the_address_is_named_at_once_not_taken_for_a_large_kafka_answer()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        var serving = AnswerHttpAsync(listener, stop.Token);
        var address = $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        var errors = new LineRecorder();

        // Named as a problem waiting cannot heal, so the probe ends at once instead of after its 10 s
        // ("could not reach Kafka ... within 10 s"); the words say which path it took, whatever the machine's load.
        var exitCode = await ConveyorCommandLine.InvokeAsync(["produce", "-b", address, "--topic", "t"], new LineRecorder(), errors).WaitAsync(Timeouts.Stop);

        Assert.Equal(1, exitCode);
        Assert.Equal(
            $"error: could not connect to Kafka at {address}: {address} answered in HTTP, not in Kafka's protocol: that address is not a Kafka listener (check the host and port). "
            + "Check the port in -b/--bootstrap-servers (or CONVEYOR_BOOTSTRAP_SERVERS): it must be a Kafka listener's.",
            Assert.Single(errors.Lines));
        await stop.CancelAsync();
        await serving;
    }

    /// <summary>Answers every connection as a web server answers a request it cannot read.</summary>
    private static async Task AnswerHttpAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync(cancellationToken);
                try
                {
                    var stream = client.GetStream();
                    _ = await stream.ReadAsync(new byte[1024], cancellationToken);
                    await stream.WriteAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray(), cancellationToken);
                }
                catch (IOException)
                {
                    // The client hung up first: the next one gets the same answer.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The test is over.
        }
    }
}

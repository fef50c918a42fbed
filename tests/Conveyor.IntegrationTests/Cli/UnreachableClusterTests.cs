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
}

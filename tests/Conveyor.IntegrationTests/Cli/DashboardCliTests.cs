using System.Net;
using System.Net.Sockets;
using Conveyor.Cli.CommandLine;
using Conveyor.IntegrationTests.Support;

namespace Conveyor.IntegrationTests.Cli;

/// <summary><c>conveyor dashboard</c>'s mistakes a user can make at its start, against the embedded broker (the pages themselves: <c>CliDashboardTests</c>).</summary>
[Collection(CliCollection.Name)]
public class DashboardCliTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task An_address_already_in_use_is_one_line_naming_it_and_what_to_do_and_exit_1()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var listen = $"127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";

        var output = new LineRecorder();
        var errors = new LineRecorder();
        var exitCode = await ConveyorCommandLine.InvokeAsync(["dashboard", "-b", kafka.Cluster.BootstrapServers, "--listen", listen], output, errors).WaitAsync(Timeouts.Flow);

        Assert.Equal(1, exitCode);
        Assert.Empty(output.Lines);
        var line = Assert.Single(errors.Lines);
        Assert.StartsWith($"error: cannot serve the dashboard on {listen}: ", line, StringComparison.Ordinal);
        Assert.EndsWith("in use. Choose another --listen (port 0 picks a free one), or stop what serves there.", line, StringComparison.Ordinal);
    }
}

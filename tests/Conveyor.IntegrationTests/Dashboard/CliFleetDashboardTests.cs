using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Conveyor.Cli;
using Conveyor.Cli.CommandLine;
using Conveyor.IntegrationTests.Fleet;
using Conveyor.IntegrationTests.Support;
using static Microsoft.Playwright.Assertions;

namespace Conveyor.IntegrationTests.Dashboard;

/// <summary><c>conveyor dashboard --status-topic</c> in a real browser: a fleet seen and steered from Kafka alone.</summary>
[Collection(FleetCollection.Name)]
public sealed partial class CliFleetDashboardTests(EmbeddedKafkaFixture kafka) : BrowserTest
{
    [Fact]
    public async Task The_cli_dashboard_shows_a_groups_fleet_from_its_status_topic_and_pauses_a_partition_from_the_page()
    {
        var fleet = FleetTopics.Create(kafka, partitions: 2);
        var (topic, status, control) = fleet;
        var group = Names.Unique("group");
        await using var node = new FleetNode(kafka.Cluster.BootstrapServers, fleet.Options(group, commitInterval: TimeSpan.FromMilliseconds(100)), "a", new ConcurrentQueue<(string, int, long)>());

        var output = new LineRecorder();
        var errors = new LineRecorder();
        using var stop = new CancellationTokenSource();
        var cli = ConveyorCommandLine.InvokeAsync(
            ["dashboard", "-b", kafka.Cluster.BootstrapServers, "--group", group, "--topic", topic, "--status-topic", status, "--control-topic", control, "--listen", "127.0.0.1:0", "--allow-actions"],
            output, errors, stop.Token);
        try
        {
            var started = await output.WaitForLine("conveyor dashboard for", Timeouts.Flow);
            await Page.GotoAsync(UrlPattern().Match(started).Value + "fleet");
            var card = Page.GetByTestId($"fleet-{group}");
            await Expect(card.Locator("[data-testid=instance][data-instance=a] [data-testid=state]")).ToHaveTextAsync("Running");
            await Expect(card.GetByTestId($"fleet-partition-{topic}-0").GetByTestId("owner")).ToHaveTextAsync("a");
            await Expect(card.GetByTestId($"fleet-partition-{topic}-1").GetByTestId("owner")).ToHaveTextAsync("a");

            await card.GetByTestId($"pause-{topic}-1").ClickAsync();
            await Expect(Page.GetByTestId("command")).ToHaveCountAsync(1);
            await Expect(Page.GetByTestId("command").GetByTestId("result")).ToContainTextAsync($"held here: {topic}[1]");
            // The row's pause comes from the instance's own status record: the command reached the processor.
            await Expect(card.GetByTestId($"fleet-partition-{topic}-1").GetByTestId("paused")).ToContainTextAsync("operator: paused by anonymous (dashboard) at ");
        }
        finally
        {
            await stop.CancelAsync();
        }

        Assert.Equal(0, await cli.WaitAsync(Timeouts.Stop));
    }

    [Theory]
    [InlineData("--status-topic", "--status-topic needs --group")]
    [InlineData("--control-topic", "--control-topic needs --status-topic")]
    public async Task A_fleet_topic_without_what_it_needs_is_a_usage_error(string option, string message)
    {
        var output = new LineRecorder();
        var errors = new LineRecorder();
        var code = await ConveyorCommandLine.InvokeAsync(["dashboard", "-b", kafka.Cluster.BootstrapServers, option, "some-topic"], output, errors, CancellationToken.None);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Single(errors.Lines);
        Assert.Contains(message, errors.Lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_status_topic_is_named_and_nothing_is_served()
    {
        var output = new LineRecorder();
        var errors = new LineRecorder();
        var code = await ConveyorCommandLine.InvokeAsync(
            ["dashboard", "-b", kafka.Cluster.BootstrapServers, "--group", "g", "--status-topic", "no-such-status-topic", "--listen", "127.0.0.1:0"], output, errors, CancellationToken.None);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.StartsWith("error: topic 'no-such-status-topic' (given with --status-topic) does not exist", Assert.Single(errors.Lines), StringComparison.Ordinal);
        Assert.Empty(output.Lines);
    }

    [GeneratedRegex(@"http://[^ ]+/")]
    private static partial Regex UrlPattern();
}

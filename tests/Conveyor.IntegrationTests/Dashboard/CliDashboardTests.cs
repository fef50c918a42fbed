using System.Text.RegularExpressions;
using Conveyor.Cli.CommandLine;
using Conveyor.IntegrationTests.Support;
using static Microsoft.Playwright.Assertions;

namespace Conveyor.IntegrationTests.Dashboard;

/// <summary><c>conveyor dashboard</c> in a real browser: the same pages for a group seen from Kafka alone.</summary>
[Collection(FleetCollection.Name)]
public sealed partial class CliDashboardTests(EmbeddedKafkaFixture kafka) : BrowserTest
{
    [Fact]
    public async Task The_cli_dashboard_shows_a_group_from_kafka_alone_and_replays_its_dead_letter_from_the_page()
    {
        // A hosted processor does the work and dead-letters the poison message; the CLI only looks at Kafka.
        var topic = kafka.CreateTopic(partitions: 2);
        kafka.Cluster.CreateTopic(topic + ".dlq", partitions: 1);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, [("a", "{}"), ("b", "{}"), (HandlerScript.PoisonKey, "{}")]);
        var script = new HandlerScript();
        await using var worker = await DashboardApp.StartAsync(kafka, topic, script, actions: false);

        var output = new LineRecorder();
        var errors = new LineRecorder();
        using var stop = new CancellationTokenSource();
        var cli = ConveyorCommandLine.InvokeAsync(
            ["dashboard", "-b", kafka.Cluster.BootstrapServers, "--group", worker.Group, "--topic", topic, "--listen", "127.0.0.1:0", "--allow-replay"],
            output, errors, stop.Token);
        try
        {
            var started = await output.WaitForLine("conveyor dashboard for", Timeouts.Flow);
            var url = UrlPattern().Match(started).Value;
            Assert.StartsWith("http://127.0.0.1:", url, StringComparison.Ordinal);

            await Page.GotoAsync(url);
            var card = Page.GetByTestId("processor-" + worker.Group);
            await Expect(card.GetByTestId("state")).ToHaveTextAsync("Seen from Kafka");
            await Expect(card.GetByTestId("lag")).ToHaveTextAsync("0");
            await ScreenshotAsync("cli-overview");

            await Page.GotoAsync($"{url}dead-letters?topic={topic}.dlq");
            var letter = Page.Locator("[data-testid=dead-letter][data-key=poison]");
            await Expect(letter).ToHaveCountAsync(1);
            await letter.Locator("input[type=checkbox]").CheckAsync();
            await Page.GetByTestId("replay-selected").ClickAsync();
            await Expect(Page.GetByTestId("notice")).ToHaveTextAsync("Replayed 1 dead letter(s) to their source topics.");
            await script.ReplayHandled.Task.WaitAsync(Timeouts.Flow);
            await ScreenshotAsync("cli-dead-letters-replayed");
        }
        finally
        {
            await stop.CancelAsync();
        }

        Assert.Equal(0, await cli.WaitAsync(Timeouts.Stop));
        Assert.Equal("conveyor dashboard stopped", output.Lines[^1]);
    }

    [Fact]
    public async Task A_group_without_committed_offsets_is_shown_as_having_no_topics_not_as_healthy_with_no_lag()
    {
        var group = Names.Unique("group");
        var output = new LineRecorder();
        var errors = new LineRecorder();
        using var stop = new CancellationTokenSource();
        var cli = ConveyorCommandLine.InvokeAsync(
            ["dashboard", "-b", kafka.Cluster.BootstrapServers, "--group", group, "--listen", "127.0.0.1:0"], output, errors, stop.Token);
        try
        {
            var started = await output.WaitForLine("conveyor dashboard for", Timeouts.Flow);
            Assert.StartsWith($"warning: group {group} has no committed offsets on {kafka.Cluster.BootstrapServers}", errors.Lines[0], StringComparison.Ordinal);

            await Page.GotoAsync(UrlPattern().Match(started).Value);
            var card = Page.GetByTestId("processor-" + group);
            await Expect(card.GetByTestId("state")).ToHaveTextAsync("No topics");
            await Expect(card).Not.ToHaveClassAsync(new Regex("\\bok\\b"));
            await Expect(card.GetByTestId("lag")).ToHaveTextAsync("?");
            await Expect(card.GetByTestId("alert")).ToContainTextAsync($"group {group} has no committed offsets");
            await ScreenshotAsync("cli-overview-no-topics");
        }
        finally
        {
            await stop.CancelAsync();
        }

        Assert.Equal(0, await cli.WaitAsync(Timeouts.Stop));
    }

    [GeneratedRegex("http://[^ ]+/")]
    private static partial Regex UrlPattern();
}

using System.Globalization;
using System.Net;
using Conveyor.IntegrationTests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Conveyor.IntegrationTests.Dashboard;

/// <summary>
/// The dashboard in a real browser (Debian's chromium through Playwright) over a processor on the
/// embedded broker: what a person sees as messages are processed, fail, are replayed and stop a partition.
/// Each test saves screenshots under screenshots/ in the test output directory.
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class DashboardTests(EmbeddedKafkaFixture kafka) : BrowserTest
{
    [Fact]
    public async Task The_overview_shows_the_lag_falling_to_zero_as_messages_are_processed()
    {
        var topic = kafka.CreateTopic(partitions: 3);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Orders(30));
        var script = new HandlerScript(gated: true);
        await using var app = await DashboardApp.StartAsync(kafka, topic, script, actions: false);

        // The handler waits at its gate: all 30 messages are lag, none handled.
        await Page.GotoAsync(app.Url);
        var card = Page.GetByTestId("processor-orders");
        await Expect(card.GetByTestId("state")).ToHaveTextAsync("Running");
        await Expect(card.GetByTestId("lag")).ToHaveTextAsync("30");
        await Expect(card.GetByTestId("not-handled")).ToHaveTextAsync("30");
        await Expect(card.GetByTestId("succeeded")).ToHaveTextAsync("0");

        // The rate chart spans the card, with a scale and a time axis.
        var chart = card.GetByTestId("rate-chart");
        await Expect(chart.GetByTestId("chart-top")).ToHaveTextAsync("1");
        await Expect(chart).ToContainTextAsync("min ago");
        await Expect(chart).ToContainTextAsync("now");
        await AssertChartSpansCardAsync();
        await ScreenshotAsync("overview-lagging");

        // Fetched but held at the gate: each partition's buffered messages are all of its lag.
        await Page.GetByRole(AriaRole.Link, new() { Name = "Partitions", Exact = true }).First.ClickAsync();
        for (var partition = 0; partition < 3; partition++)
        {
            var row = Page.GetByTestId(string.Create(CultureInfo.InvariantCulture, $"partition-{topic}-{partition}"));
            var lag = await row.GetByTestId("lag").InnerTextAsync();
            await Expect(row.GetByTestId("buffered")).ToHaveTextAsync(lag);
        }

        await ScreenshotAsync("partitions-buffered");
        await Page.GetByRole(AriaRole.Link, new() { Name = "Overview", Exact = true }).First.ClickAsync();

        // Opened: the page refreshes by itself (no reload here) until everything is handled and committed.
        script.Open();
        await Expect(card.GetByTestId("succeeded")).ToHaveTextAsync("30");
        await Expect(card.GetByTestId("not-handled")).ToHaveTextAsync("0");
        await Expect(card.GetByTestId("lag")).ToHaveTextAsync("0");
        await Expect(card.GetByTestId("alert")).ToHaveCountAsync(0);
        await ScreenshotAsync("overview");

        await Page.GetByRole(AriaRole.Link, new() { Name = "Partitions", Exact = true }).First.ClickAsync();
        for (var partition = 0; partition < 3; partition++)
        {
            var row = Page.GetByTestId(string.Create(CultureInfo.InvariantCulture, $"partition-{topic}-{partition}"));
            await Expect(row.GetByTestId("lag")).ToHaveTextAsync("0");
            await Expect(row.GetByTestId("buffered")).ToHaveTextAsync("0");
            await Expect(row.GetByTestId("state")).ToHaveTextAsync("running");
        }

        await ScreenshotAsync("partitions");
    }

    /// <summary>
    /// The overview's rate chart is more than 80 % of its card's width, measured in one look inside
    /// the page and looked at again until it holds: the page swaps its content in place as it
    /// refreshes, so two reads from here (the chart, then the card) can straddle a swap; one did at
    /// load 35, and the chart's bounding box came back null.
    /// </summary>
    private async Task AssertChartSpansCardAsync()
    {
        const string widths = "() => { const card = document.querySelector('[data-testid=processor-orders]'); const svg = card && card.querySelector('[data-testid=rate-chart] svg'); return svg ? [svg.getBoundingClientRect().width, card.getBoundingClientRect().width] : null; }";
        try
        {
            await Page.WaitForFunctionAsync($"() => {{ const w = ({widths})(); return w !== null && w[0] > w[1] * 0.8; }}");
        }
        catch (TimeoutException)
        {
            var seen = await Page.EvaluateAsync<double[]?>(widths);
            Assert.Fail(seen is null ? "the overview shows no rate chart" : $"the chart is {seen[0]} px wide in a card of {seen[1]} px");
        }
    }

    [Fact]
    public async Task A_failed_message_appears_in_the_dead_letters_and_replaying_it_from_the_page_gets_it_processed()
    {
        var topic = kafka.CreateTopic(partitions: 2);
        kafka.Cluster.CreateTopic(topic + ".dlq", partitions: 1);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, [.. Orders(4), (HandlerScript.PoisonKey, "{\"id\":99,\"amount\":-1}")]);
        var script = new HandlerScript();
        await using var app = await DashboardApp.StartAsync(kafka, topic, script, actions: true);

        await Page.GotoAsync(app.Url);
        var card = Page.GetByTestId("processor-orders");
        await Expect(card.GetByTestId("dead-lettered")).ToHaveTextAsync("1");
        await Expect(card.GetByTestId("succeeded")).ToHaveTextAsync("4");
        await Expect(card.GetByTestId("retries")).ToHaveTextAsync("1");

        await card.GetByRole(AriaRole.Link, new() { Name = "Dead letters" }).ClickAsync();
        var letter = Page.Locator("[data-testid=dead-letter][data-key=poison]");
        await Expect(letter).ToHaveCountAsync(1);
        await Expect(letter).ToContainTextAsync("InvalidOperationException");
        await Expect(letter).ToContainTextAsync(topic + "[");
        await Expect(letter.GetByTestId("group")).ToHaveTextAsync(app.Group);
        // Asked until it holds: the page refreshes itself in place, and a cell read just as it is
        // replaced has no computed style (a full run at load 80 read "").
        await Expect(letter.Locator("td.key")).ToHaveCSSAsync("white-space", "nowrap");
        await ScreenshotAsync("dead-letters");

        // The detail view: the exception, the value and the stack trace.
        await letter.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(Page.GetByTestId("exception")).ToContainTextAsync(HandlerScript.PoisonReason);
        await Expect(Page.GetByTestId("value")).ToContainTextAsync("\"amount\": -1");
        await Expect(Page.GetByTestId("stack-trace")).ToContainTextAsync(nameof(HandlerScript));
        await ScreenshotAsync("dead-letter");
        await Page.GoBackAsync();

        // Select it and replay it: the handler gets it back (marked as a replay) and handles it.
        await Page.Locator("[data-testid=dead-letter][data-key=poison] input[type=checkbox]").CheckAsync();
        await Page.GetByTestId("replay-selected").ClickAsync();
        await Expect(Page.GetByTestId("notice")).ToHaveTextAsync("Replayed 1 dead letter(s) to their source topics.");
        await script.ReplayHandled.Task.WaitAsync(Timeouts.Flow);
        await ScreenshotAsync("dead-letters-replayed");

        await Page.GotoAsync(app.Url);
        await Expect(card.GetByTestId("succeeded")).ToHaveTextAsync("5");
        await Expect(card.GetByTestId("dead-lettered")).ToHaveTextAsync("1");
        await Expect(card.GetByTestId("lag")).ToHaveTextAsync("0");
    }

    [Fact]
    public async Task A_stopped_partition_stands_out_with_its_reason()
    {
        var topic = kafka.CreateTopic(partitions: 2);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, [.. Orders(4), (HandlerScript.PoisonKey, "{\"id\":99,\"amount\":-1}")]);
        await using var app = await DashboardApp.StartAsync(kafka, topic, new HandlerScript(), actions: false, ("OnFailure", "StopPartition"));

        await Page.GotoAsync(app.Url);
        var card = Page.GetByTestId("processor-orders");
        var alert = card.GetByTestId("alert");
        await Expect(alert).ToHaveCountAsync(1);
        await Expect(alert).ToContainTextAsync(new System.Text.RegularExpressions.Regex($"^Partition {topic}\\[[01]\\] stopped at offset [0-9]+: InvalidOperationException: {HandlerScript.PoisonReason}$"));
        await Expect(card).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("\\bbad\\b"));
        await ScreenshotAsync("overview-stopped-partition");

        await Page.GotoAsync(app.Url + "/partitions");
        var stopped = Page.Locator("tr.bad");
        await Expect(stopped).ToHaveCountAsync(1);
        await Expect(stopped.GetByTestId("state")).ToContainTextAsync($"stopped at offset");
        await Expect(stopped.GetByTestId("state")).ToContainTextAsync(HandlerScript.PoisonReason);
        await ScreenshotAsync("partitions-stopped");
    }

    [Fact]
    public async Task Without_an_actions_policy_the_dashboard_is_read_only_and_no_page_shows_a_secret()
    {
        const string secret = "s3cret-dashboard-password";
        var topic = kafka.CreateTopic(partitions: 1);
        kafka.Cluster.CreateTopic(topic + ".dlq", partitions: 1);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, [(HandlerScript.PoisonKey, "{}")]);
        await using var app = await DashboardApp.StartAsync(kafka, topic, new HandlerScript(), actions: false, ("Kafka:sasl.password", secret));

        await Page.GotoAsync(app.Url + "/dead-letters");
        await Expect(Page.Locator("[data-testid=dead-letter][data-key=poison]")).ToHaveCountAsync(1);
        await Expect(Page.GetByTestId("replay-selected")).ToHaveCountAsync(0);
        await Expect(Page.Locator("input[type=checkbox]")).ToHaveCountAsync(0);

        await Page.GotoAsync(app.Url + "/configuration");
        var password = Page.Locator("tr", new() { Has = Page.GetByText("sasl.password", new() { Exact = true }) });
        await Expect(password.Locator("code")).ToHaveTextAsync("********");

        // A plain processor: no batch or output settings; lists read as lists.
        await Expect(Page.Locator("th", new() { HasTextRegex = new System.Text.RegularExpressions.Regex("^(Batch|Forwarding)\\.") })).ToHaveCountAsync(0);
        var delays = Page.Locator("tr", new() { Has = Page.GetByText("RetryTopics.Delays", new() { Exact = true }) });
        await Expect(delays.Locator("code")).ToHaveTextAsync("00:00:10, 00:01:00");
        await ScreenshotAsync("configuration");

        foreach (var path in new[] { "", "/partitions", "/dead-letters", "/configuration" })
        {
            await Page.GotoAsync(app.Url + path);
            Assert.DoesNotContain(secret, await Page.ContentAsync(), StringComparison.Ordinal);
        }

        var post = await Page.APIRequest.PostAsync(app.Url + "/dead-letters/replay", new() { Form = Page.APIRequest.CreateFormData().Set("topic", topic + ".dlq").Set("position", "0:0") });
        // Not mapped at all: nothing answers a replay.
        Assert.Equal((int)HttpStatusCode.NotFound, post.Status);
    }

    private static IEnumerable<(string? Key, string Value)> Orders(int count) =>
        Enumerable.Range(1, count).Select(i => ((string?)$"customer-{i % 5}", string.Create(CultureInfo.InvariantCulture, $"{{\"id\":{i},\"amount\":{i}.5}}")));
}

using System.Collections.Concurrent;
using System.Net;
using Conveyor.IntegrationTests.Fleet;
using Conveyor.IntegrationTests.Support;
using static Microsoft.Playwright.Assertions;

namespace Conveyor.IntegrationTests.Dashboard;

/// <summary>
/// The fleet page in a real browser: the dashboard's own processor (instance <c>web</c>) and a second
/// instance of its group (<c>worker</c>) report on a status topic; the page lists both with the
/// owner of each partition, and its buttons send commands over the control topic.
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class FleetDashboardTests(EmbeddedKafkaFixture kafka) : BrowserTest
{
    [Fact]
    public async Task The_fleet_page_shows_both_instances_and_the_owners_a_pause_clicked_there_shows_the_partition_paused_and_a_rewind_has_it_handled_again()
    {
        var fleet = FleetTopics.Create(kafka, partitions: 2);
        var topic = fleet.Topic;
        await using var app = await DashboardApp.StartAsync(kafka, topic, new HandlerScript(), actions: true, Settings(fleet));
        var rewound = false;
        var handledAgain = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var worker = Worker(fleet, app.Group, offset =>
        {
            if (offset == 0 && Volatile.Read(ref rewound))
            {
                handledAgain.TrySetResult();
            }
        });
        await Page.GotoAsync(app.Url + "/fleet");
        var card = Page.GetByTestId($"fleet-{app.Group}");
        await Expect(card.Locator("[data-testid=instance][data-instance=web] [data-testid=state]")).ToHaveTextAsync("Running");
        await Expect(card.Locator("[data-testid=instance][data-instance=worker] [data-testid=state]")).ToHaveTextAsync("Running");
        // After the rebalance each instance owns one of the two partitions.
        await Expect(card.GetByTestId("owner").Filter(new() { HasText = "web" })).ToHaveCountAsync(1);
        await Expect(card.GetByTestId("owner").Filter(new() { HasText = "worker" })).ToHaveCountAsync(1);
        var owned = worker.Processor.Status.AssignedPartitions.Single().Partition.Value;
        await Expect(card.GetByTestId($"fleet-partition-{topic}-{owned}").GetByTestId("owner")).ToHaveTextAsync("worker");
        await Expect(card.GetByTestId($"fleet-partition-{topic}-{1 - owned}").GetByTestId("owner")).ToHaveTextAsync("web");

        // Written once each instance owns its partition, so the worker handles its partition's
        // messages itself. Written before (as this test did), the web instance could handle all 12
        // while the worker was still joining (a classic join waits about 5 s on the embedded
        // broker); the worker then fetched nothing of its partition, its handled figure stayed a dash,
        // and the wait for "6" below failed (2 of 5 runs at load 30-40).
        await FleetOperator.ProduceAsync(kafka.Cluster.BootstrapServers, topic, 0, 6, "first");
        await FleetOperator.ProduceAsync(kafka.Cluster.BootstrapServers, topic, 1, 6, "first");

        // Pause the web instance's partition.
        var paused = 1 - owned;
        await card.GetByTestId($"pause-{topic}-{paused}").ClickAsync();

        var row = card.GetByTestId($"fleet-partition-{topic}-{paused}");
        await Expect(row.GetByTestId("paused")).ToContainTextAsync("operator: paused by anonymous (dashboard) at ");
        await Expect(row.GetByTestId($"resume-{topic}-{paused}")).ToHaveCountAsync(1);
        await Expect(card.GetByTestId("pause")).ToContainTextAsync($"{topic}[{paused}]: paused by anonymous (dashboard)");
        var command = Page.GetByTestId("command");
        await Expect(command).ToHaveCountAsync(1);
        await Expect(command.GetByTestId("what")).ToHaveTextAsync($"Pause {topic}[{paused}]");
        await Expect(command.GetByTestId("result")).ToContainTextAsync("sent; ");
        await Expect(command.GetByTestId("result")).ToContainTextAsync($"held here: {topic}[{paused}]");

        // Rewind the worker's partition to its start: the worker handles offset 0 again.
        await Expect(card.GetByTestId($"fleet-partition-{topic}-{owned}").GetByTestId("handled")).ToHaveTextAsync("6");
        await card.GetByTestId($"rewind-offset-{topic}-{owned}").FillAsync("0");
        Volatile.Write(ref rewound, true);
        await card.GetByTestId($"rewind-{topic}-{owned}").ClickAsync();
        await Expect(command).ToHaveCountAsync(2);
        await Expect(command.First.GetByTestId("what")).ToHaveTextAsync($"Rewind {topic}[{owned}] to offset 0");
        await Expect(command.First.GetByTestId("result")).ToContainTextAsync($"worker: moved {topic}[{owned}] to 0");
        await handledAgain.Task.WaitAsync(Timeouts.Flow);
        // docs/dashboard-fleet.png is this screenshot.
        await ScreenshotAsync("fleet");
    }

    [Fact]
    public async Task Concurrency_set_on_the_fleet_page_is_answered_by_every_instance_and_stop_shows_the_instance_gone()
    {
        var fleet = FleetTopics.Create(kafka, partitions: 2);
        var topic = fleet.Topic;
        await using var app = await DashboardApp.StartAsync(kafka, topic, new HandlerScript(), actions: true, Settings(fleet));
        await using var worker = Worker(fleet, app.Group, _ => { });

        await Page.GotoAsync(app.Url + "/fleet");
        var card = Page.GetByTestId($"fleet-{app.Group}");
        var workerState = card.Locator("[data-testid=instance][data-instance=worker] [data-testid=state]");
        await Expect(workerState).ToHaveTextAsync("Running");
        await Expect(card.Locator("[data-testid=instance][data-instance=web] [data-testid=state]")).ToHaveTextAsync("Running");

        await card.Locator("input[name=limit]").FillAsync("3");
        await card.GetByTestId("set-concurrency").ClickAsync();
        var command = Page.GetByTestId("command");
        await Expect(command.First.GetByTestId("what")).ToHaveTextAsync("Concurrency 3 for the group");
        await Expect(command.First.GetByTestId("result")).ToContainTextAsync("web: ");
        await Expect(command.First.GetByTestId("result")).ToContainTextAsync("worker: ");

        await card.GetByTestId("stop-worker").ClickAsync();
        await Expect(command.First.GetByTestId("what")).ToHaveTextAsync("Stop instance worker");
        await Expect(workerState).ToHaveTextAsync("gone (Stopped)");
        await worker.Run.WaitAsync(Timeouts.Stop);
        await Expect(card.Locator("[data-testid=instance][data-instance=worker] button")).ToHaveCountAsync(0);
        await Expect(card.Locator("[data-testid=instance][data-instance=web] [data-testid=state]")).ToHaveTextAsync("Running");
    }

    [Fact]
    public async Task Read_only_the_fleet_page_shows_the_fleet_without_buttons_and_a_command_post_is_refused()
    {
        var fleet = FleetTopics.Create(kafka, partitions: 1);
        var topic = fleet.Topic;
        await using var app = await DashboardApp.StartAsync(kafka, topic, new HandlerScript(), actions: false, Settings(fleet));

        await Page.GotoAsync(app.Url + "/fleet");
        var card = Page.GetByTestId($"fleet-{app.Group}");
        await Expect(card.GetByTestId($"fleet-partition-{topic}-0").GetByTestId("owner")).ToHaveTextAsync("web");
        await Expect(Page.Locator("form[method=post]")).ToHaveCountAsync(0);
        await Expect(Page.Locator("main button")).ToHaveCountAsync(0);

        var post = await Page.APIRequest.PostAsync(app.Url + "/fleet/commands", new()
        {
            Form = Page.APIRequest.CreateFormData().Set("group", app.Group).Set("kind", "Pause").Set("topic", topic).Set("partition", "0"),
        });
        // Not mapped at all, as the dead-letter replay in read-only mode.
        Assert.Equal((int)HttpStatusCode.NotFound, post.Status);
    }

    /// <summary>The dashboard app's fleet settings: instance <c>web</c> on the test's topics.</summary>
    private static (string, string)[] Settings(FleetTopics fleet) =>
    [
        ("Fleet:StatusTopic", fleet.Status),
        ("Fleet:ControlTopic", fleet.Control),
        ("Fleet:StatusInterval", "00:00:00.300"),
        ("Fleet:InstanceId", "web"),
    ];

    /// <summary>A second instance of the dashboard app's group, on the same (classic) group protocol.</summary>
    private FleetNode Worker(FleetTopics fleet, string group, Action<long> handled) => new(
        kafka.Cluster.BootstrapServers,
        fleet.Options(group, commitInterval: TimeSpan.FromMilliseconds(200)),
        "worker",
        new ConcurrentQueue<(string, int, long)>(),
        before: (message, _) =>
        {
            handled(message.Offset);
            return Task.CompletedTask;
        },
        properties: [new("session.timeout.ms", "6000"), new("fetch.wait.max.ms", "50")]);
}

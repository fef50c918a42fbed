using Confluent.Kafka;
using Conveyor.AspNetCore.Dashboard.Model;
using Conveyor.AspNetCore.Dashboard.Pages;
using Conveyor.Fleet;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Conveyor.Tests.AspNetCore.Dashboard;

public class FleetPageTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 6, 20, 0, 0, TimeSpan.Zero);
    private static readonly PageContext ReadOnly = new("/conveyor", "Conveyor", TimeSpan.FromSeconds(2), ActionsEnabled: false, "", At);
    private static readonly PageContext Actions = ReadOnly with { ActionsEnabled = true, AntiforgeryField = """<input type="hidden" name="__af" value="token">""" };

    [Fact]
    public void Every_partition_is_shown_with_its_owner_and_an_operator_pause_with_who_paused_it()
    {
        var html = FleetPage.Render(ReadOnly, [Group()], []);

        Assert.Contains("""data-testid="fleet-partition-orders-0"><td>orders</td><td>0</td><td data-testid="owner">a</td>""", html, StringComparison.Ordinal);
        Assert.Contains("""data-testid="fleet-partition-orders-1"><td>orders</td><td>1</td><td data-testid="owner">b</td>""", html, StringComparison.Ordinal);
        Assert.Contains("""<td data-testid="paused">operator: paused by alice at 2026-12-06 19:59:00Z (orders[1])</td>""", html, StringComparison.Ordinal);
        Assert.Contains("""<li data-testid="pause">orders[1]: paused by alice at 2026-12-06 19:59:00Z</li>""", html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gone_instance_is_listed_as_gone_and_owns_no_partition()
    {
        var gone = new FleetInstance(Instance("c", [new PartitionStatus("orders", 2, 5, 5, 9, 0, 0, null)]) with { State = "Stopped" }, Live: false);
        var group = Group() with { Instances = [.. Group().Instances, gone] };

        var html = FleetPage.Render(ReadOnly, [group], []);

        Assert.Contains("""<tr class="gone" data-testid="instance" data-instance="c">""", html, StringComparison.Ordinal);
        Assert.Contains("""<td data-testid="state">gone (Stopped)</td>""", html, StringComparison.Ordinal);
        Assert.DoesNotContain("fleet-partition-orders-2", html, StringComparison.Ordinal);
        Assert.Contains("2 live instance(s)", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_only_the_fleet_page_offers_no_command()
    {
        var html = FleetPage.Render(ReadOnly, [Group()], []);

        Assert.DoesNotContain("<form", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<button", html, StringComparison.Ordinal);
    }

    [Fact]
    public void With_actions_a_running_partition_offers_pause_a_paused_one_resume_and_each_live_instance_stop()
    {
        var html = FleetPage.Render(Actions, [Group()], []);

        Assert.Contains("""<input type="hidden" name="kind" value="Pause"><input type="hidden" name="topic" value="orders"><input type="hidden" name="partition" value="0"><button type="submit" data-testid="pause-orders-0">""", html, StringComparison.Ordinal);
        Assert.Contains("""data-testid="resume-orders-1">""", html, StringComparison.Ordinal);
        Assert.DoesNotContain("""data-testid="pause-orders-1">""", html, StringComparison.Ordinal);
        Assert.Contains("""data-testid="stop-a">""", html, StringComparison.Ordinal);
        Assert.Contains("""data-testid="set-concurrency">""", html, StringComparison.Ordinal);
        Assert.Contains("""<input type="hidden" name="kind" value="Rewind"><input type="hidden" name="topic" value="orders"><input type="hidden" name="partition" value="1"><input name="offset" type="number" min="0" required""", html, StringComparison.Ordinal);
        Assert.Contains("""<form method="post" action="/conveyor/fleet/commands" class="inline"><input type="hidden" name="__af" value="token">""", html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_group_only_seen_on_the_status_topic_offers_no_command_even_with_actions()
    {
        var html = FleetPage.Render(Actions, [Group() with { Control = null }], []);

        Assert.DoesNotContain("<form", html, StringComparison.Ordinal);
        Assert.Contains("no control topic here: read-only", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_commands_sent_are_listed_with_who_when_what_and_each_instance_answer()
    {
        var sent = new SentCommand("c1", "billing", "Pause orders[1]", "alice", At, "sent");
        var refused = new SentCommand(null, "billing", "Concurrency 0", "bob", At, "refused: max concurrency '0' is not a whole number of at least 1.");

        var html = FleetPage.Render(ReadOnly, [Group()], [refused, sent]);

        Assert.Contains("""<tr data-testid="command"><td class="when">2026-12-06 20:00:00Z</td><td>alice</td><td>billing</td><td data-testid="what">Pause orders[1]</td><td data-testid="result">sent; a: paused; held here: none; b: paused; held here: orders[1]</td></tr>""", html, StringComparison.Ordinal);
        Assert.Contains("<td>bob</td><td>billing</td><td data-testid=\"what\">Concurrency 0</td><td data-testid=\"result\">refused: max concurrency &#x27;0&#x27; is not a whole number of at least 1.</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pause_form_becomes_a_pause_of_that_partition_signed_by_its_sender()
    {
        var (command, what, problem) = FleetCommandForm.Parse(Form(("group", "billing"), ("kind", "Pause"), ("topic", "orders"), ("partition", "1")), Processor(), "alice (dashboard)", At);

        Assert.Null(problem);
        Assert.Equal("Pause orders[1]", what);
        Assert.Equal(ControlKind.Pause, command!.Kind);
        Assert.Equal(("billing", "orders", 1, "alice (dashboard)", At), (command.Group, command.Topic, command.Partitions!.Single(), command.By, command.At));
    }

    [Theory]
    [InlineData("Pause", "payments", "", "", "group 'billing' does not consume topic 'payments' (it consumes orders).")]
    [InlineData("Pause", "orders", "x", "", "partition 'x' is not a partition number of a named topic.")]
    [InlineData("Concurrency", "", "", "0", "max concurrency '0' is not a whole number of at least 1.")]
    [InlineData("Rewind", "orders", "0", "", "a rewind needs a topic group 'billing' consumes, a partition and an offset of at least 0 (got topic 'orders', partition '0', offset '').")]
    [InlineData("Explode", "", "", "", "'Explode' is not a command (Pause, Resume, Concurrency, Rewind, Stop).")]
    [InlineData("3", "", "", "", "'3' is not a command (Pause, Resume, Concurrency, Rewind, Stop).")]
    public void A_wrong_form_is_refused_with_what_was_wrong(string kind, string topic, string partition, string limit, string expected)
    {
        var (command, _, problem) = FleetCommandForm.Parse(Form(("group", "billing"), ("kind", kind), ("topic", topic), ("partition", partition), ("limit", limit)), Processor(), "alice", At);

        Assert.Null(command);
        Assert.Equal(expected, problem);
    }

    [Fact]
    public void A_rewind_form_becomes_a_rewind_of_that_partition_to_the_offset()
    {
        var (command, what, problem) = FleetCommandForm.Parse(Form(("group", "billing"), ("kind", "Rewind"), ("topic", "orders"), ("partition", "1"), ("offset", "42")), Processor(), "alice", At);

        Assert.Null(problem);
        Assert.Equal("Rewind orders[1] to offset 42", what);
        Assert.Equal((ControlKind.Rewind, "orders", 1, 42L), (command!.Kind, command.Topic, command.Partitions!.Single(), command.Offset!.Value));
    }

    [Fact]
    public void A_command_to_a_group_without_a_control_topic_here_is_refused()
    {
        var (command, _, problem) = FleetCommandForm.Parse(Form(("group", "other"), ("kind", "Stop")), null, "alice", At);

        Assert.Null(command);
        Assert.Equal("group 'other' has no processor here with Fleet.ControlTopic set: commands go only to such groups.", problem);
    }

    private static FleetGroup Group() => new(
        "billing",
        Processor(),
        [
            new FleetInstance(Instance("a", [new PartitionStatus("orders", 0, 10, 12, 20, 1, 3, null)]), Live: true),
            new FleetInstance(Instance("b", [new PartitionStatus("orders", 1, 4, 4, 9, 0, 0, "operator: paused by alice at 2026-12-06 19:59:00Z (orders[1])")]), Live: true),
        ],
        null);

    private static InstanceStatus Instance(string name, IReadOnlyList<PartitionStatus> partitions) => new("billing", name, "host-" + name, "1.0.0", "Running", At)
    {
        Topics = ["orders"],
        Partitions = partitions,
        Concurrency = 4,
        Pauses = [new OperatorPause("orders", 1, "alice", At.AddMinutes(-1), "c1")],
        Commands = [new CommandResult("c1", ControlKind.Pause, name == "a" ? "paused; held here: none" : "paused; held here: orders[1]", At)],
    };

    private static ProcessorView Processor() =>
        new("billing", "billing", ["orders"], [], new ClientConfig { BootstrapServers = "localhost:9092" }, [], [])
        {
            Fleet = new FleetOptions { StatusTopic = "conveyor.status", ControlTopic = "conveyor.control" },
        };

    private static FormCollection Form(params (string Name, string Value)[] fields) =>
        new(fields.ToDictionary(f => f.Name, f => new StringValues(f.Value)));
}

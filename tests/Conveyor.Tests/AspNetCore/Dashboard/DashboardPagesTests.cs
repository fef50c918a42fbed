using Confluent.Kafka;
using Conveyor.AspNetCore.Dashboard.Model;
using Conveyor.AspNetCore.Dashboard.Pages;
using Conveyor.Diagnostics;
using Conveyor.Lag;
using Conveyor.Processing;

namespace Conveyor.Tests.AspNetCore.Dashboard;

public class DashboardPagesTests
{
    private static readonly PageContext Page = new("/conveyor", "Conveyor", TimeSpan.FromSeconds(2), ActionsEnabled: false, "", DateTimeOffset.UnixEpoch);

    [Fact]
    public void A_stopped_partition_stands_out_with_its_reason_and_the_secret_in_it_masked()
    {
        var stopped = new TopicPartitionOffset("orders", 1, 7);
        var processor = View() with
        {
            Status = new ProcessorStatus(ProcessorState.Running, DateTimeOffset.UnixEpoch, [stopped], [stopped.TopicPartition], null),
            Activity = Activity(new Dictionary<TopicPartition, StoppedAt> { [stopped.TopicPartition] = new(7, "DbException: login failed for password hunter2") }),
            Redact = text => text.Replace("hunter2", "********", StringComparison.Ordinal),
        };

        var html = OverviewPage.Render(Page, [(processor, Lag(5))]);

        Assert.Contains("""<section class="card bad" data-testid="processor-orders">""", html, StringComparison.Ordinal);
        Assert.Contains("Partition orders[1] stopped at offset 7: DbException: login failed for password ********", html, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", html, StringComparison.Ordinal);
        Assert.Contains("""<dd data-testid="lag">5</dd>""", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_and_values_from_kafka_are_html_encoded()
    {
        var processor = View() with { Name = "<script>alert(1)</script>" };

        var html = OverviewPage.Render(Page, [(processor, Lag(0))]);

        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_actions_no_page_offers_a_replay()
    {
        var html = DeadLettersPage.Render(Page, ["orders.dlq"], new DeadLetterQuery("orders.dlq", null, null, null, null, null), [], null);

        Assert.DoesNotContain("method=\"post\"", html, StringComparison.Ordinal);
        Assert.Contains("orders.dlq holds no dead letters that match.", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Lag_is_shown_as_committed_lag_and_not_yet_handled_and_handled_as_succeeded_and_dead_lettered()
    {
        var processor = View() with
        {
            Status = new ProcessorStatus(ProcessorState.Running, DateTimeOffset.UnixEpoch, [], [new TopicPartition("orders", 1)], null)
            {
                CommittableOffsets = new Dictionary<TopicPartition, long> { [new TopicPartition("orders", 1)] = 45 },
            },
            Activity = new ActivitySnapshot(41, 2, 4, [0, 5, 10], new Dictionary<TopicPartition, int>(), [], new Dictionary<TopicPartition, StoppedAt>()),
        };

        var html = OverviewPage.Render(Page, [(processor, Lag(49))]);

        Assert.Contains("<dt>Committed lag</dt><dd data-testid=\"lag\">49</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<dt>Not yet handled</dt><dd data-testid=\"not-handled\">4</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<dt>Succeeded</dt><dd data-testid=\"succeeded\">41</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<dt>Dead-lettered</dt><dd data-testid=\"dead-lettered\">4</dd>", html, StringComparison.Ordinal);
        Assert.DoesNotContain(">Handled<", html, StringComparison.Ordinal);
        Assert.Contains("<span data-testid=\"chart-top\">10</span>", html, StringComparison.Ordinal);
        Assert.Contains("min ago</span>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_group_seen_from_kafka_with_no_topics_is_not_shown_healthy_with_no_lag()
    {
        var processor = View() with { Topics = [] };

        var html = OverviewPage.Render(Page, [(processor, new LagReading(DateTimeOffset.UnixEpoch, [], null))]);

        Assert.Contains("""<section class="card warn" data-testid="processor-orders">""", html, StringComparison.Ordinal);
        Assert.Contains(""">No topics</span>""", html, StringComparison.Ordinal);
        Assert.Contains("""<dd data-testid="lag">?</dd>""", html, StringComparison.Ordinal);
        Assert.Contains("group orders-worker has no committed offsets on this cluster", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(1.2, 2)]
    [InlineData(3, 5)]
    [InlineData(7, 10)]
    [InlineData(180, 200)]
    [InlineData(4200, 5000)]
    public void The_rate_chart_scale_tops_at_a_round_number(double peak, double top) => Assert.Equal(top, Html.RoundUp(peak));

    [Fact]
    public void A_long_exception_is_cut_at_a_word_end()
    {
        var message = string.Join(' ', Enumerable.Repeat("settlement", 20));

        var shown = DeadLettersPage.Shorten(message);

        Assert.True(shown.Length <= 120, shown);
        Assert.EndsWith("settlement…", shown, StringComparison.Ordinal);
        Assert.Equal("short message", DeadLettersPage.Shorten("short message"));
    }

    [Fact]
    public void The_configuration_shows_only_the_sections_a_processor_uses_and_lists_readably()
    {
        var options = new ProcessorOptions { GroupId = "g", Topics = ["orders"] };

        var plain = ProcessorOptionsDescription.Describe(options, ProcessorKind.Processor).ToDictionary(r => r.Key, r => r.Value);
        var forwarder = ProcessorOptionsDescription.Describe(options, ProcessorKind.Forwarder).ToDictionary(r => r.Key, r => r.Value);
        var batch = ProcessorOptionsDescription.Describe(options, ProcessorKind.BatchProcessor).ToDictionary(r => r.Key, r => r.Value);

        Assert.DoesNotContain(plain.Keys, k => k.StartsWith("Batch", StringComparison.Ordinal) || k.StartsWith("Forwarding", StringComparison.Ordinal));
        Assert.Equal("4000", forwarder["Forwarding.MaxUnacknowledgedOutputs"]);
        Assert.DoesNotContain(forwarder.Keys, k => k.StartsWith("Batch", StringComparison.Ordinal));
        Assert.Contains(batch.Keys, k => k.StartsWith("Batch.", StringComparison.Ordinal));
        Assert.Equal("00:00:10, 00:01:00", plain["RetryTopics.Delays"]);
        Assert.Equal("3", plain["Retry.MaxAttempts"]);
    }

    private static ProcessorView View() =>
        new("orders", "orders-worker", ["orders"], ["orders.dlq"], new ClientConfig { BootstrapServers = "localhost:9092" }, [], []);

    private static ActivitySnapshot Activity(IReadOnlyDictionary<TopicPartition, StoppedAt> stopped) =>
        new(3, 0, 0, new double[30], new Dictionary<TopicPartition, int>(), [], stopped);

    private static LagReading Lag(long end) => new(DateTimeOffset.UnixEpoch, [new PartitionLag("orders", 1, null, 0, end)], null);
}

using Confluent.Kafka;
using Conveyor.Hosting.Dashboard.Model;
using Conveyor.Hosting.Dashboard.Pages;
using Conveyor.Hosting.Lag;
using Conveyor.Processing;

namespace Conveyor.Tests.Hosting.Dashboard;

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

    private static ProcessorView View() =>
        new("orders", "orders-worker", ["orders"], ["orders.dlq"], new ClientConfig { BootstrapServers = "localhost:9092" }, [], []);

    private static ActivitySnapshot Activity(IReadOnlyDictionary<TopicPartition, StoppedAt> stopped) =>
        new(3, 0, 0, new double[30], new Dictionary<TopicPartition, int>(), [], stopped);

    private static LagReading Lag(long end) => new(DateTimeOffset.UnixEpoch, [new PartitionLag("orders", 1, null, 0, end)], null);
}

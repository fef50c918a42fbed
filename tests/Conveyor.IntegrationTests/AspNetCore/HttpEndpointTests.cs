extern alias SampleWorker;

using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Conveyor.IntegrationTests.Support;
using Conveyor.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Conveyor.IntegrationTests.AspNetCore;

/// <summary>
/// The sample worker's HTTP endpoints, in memory with WebApplicationFactory: it starts its own
/// embedded broker, sends 20 orders (order 7 is invalid) and processes them.
/// </summary>
public sealed partial class HttpEndpointTests
{
    [Fact]
    public async Task Metrics_expose_the_meter_under_prometheus_names_and_move_as_messages_are_processed_and_ready_is_healthy()
    {
        await using var app = Sample(("Sample:StopWhenDone", "false"));
        using var http = app.CreateClient();

        // The sample's 20 orders: 19 handled, order 7 dead-lettered, and committed (every second).
        var metrics = await WaitForAsync(http, "/metrics", text => Sum(text, "conveyor_messages_processed_total") == 19
            && Sum(text, "conveyor_messages_dead_lettered_total") == 1 && Sum(text, "conveyor_commits_total") >= 1);
        foreach (var name in new[]
        {
            "# TYPE messaging_client_consumed_messages_total counter", "# TYPE messaging_process_duration_seconds histogram",
            "# TYPE conveyor_handler_duration_seconds histogram", "# TYPE conveyor_messages_retried_total counter",
            "# TYPE conveyor_messages_failed_total counter", "# TYPE conveyor_commits_total counter", "# TYPE conveyor_messages_in_flight gauge",
            "# TYPE conveyor_partitions_stopped gauge", "# TYPE conveyor_rebalances_total counter",
        })
        {
            Assert.Contains(name, metrics, StringComparison.Ordinal);
        }

        Assert.Matches("conveyor_messages_processed_total\\{[^}]*messaging_consumer_group_name=\"orders-worker\"[^}]*messaging_destination_name=\"orders\"", metrics);
        var consumedBefore = Sum(metrics, "messaging_client_consumed_messages_total");

        // Five more orders move the counters.
        var bootstrap = app.Services.GetRequiredService<EmbeddedKafkaCluster>().BootstrapServers;
        await KafkaTestClient.ProduceAsync(bootstrap, "orders", Enumerable.Range(100, 5).Select(id =>
            ((string?)$"customer-{id % 4}", string.Create(CultureInfo.InvariantCulture, $"{{\"id\":{id},\"customer\":\"customer-{id % 4}\",\"amount\":{id}.5}}"))));
        metrics = await WaitForAsync(http, "/metrics", text => Sum(text, "conveyor_messages_processed_total") == 24);
        Assert.Equal(consumedBefore + 5, Sum(metrics, "messaging_client_consumed_messages_total"));

        using var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
        var orders = body.RootElement.GetProperty("processors").GetProperty("orders");
        Assert.Equal("Running", orders.GetProperty("state").GetString());
        Assert.Equal(["orders[0]", "orders[1]", "orders[2]"], orders.GetProperty("assignedPartitions").EnumerateArray().Select(p => p.GetString()).Order(StringComparer.Ordinal));
        // The last failure: order 7's dead letter, or a later client error (the embedded broker answers
        // some offset fetches with a partial error that librdkafka reports).
        Assert.False(string.IsNullOrWhiteSpace(orders.GetProperty("lastError").GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Health_turns_unhealthy_when_a_partition_is_stopped()
    {
        await using var app = Sample(("Sample:StopWhenDone", "false"), ("Conveyor:Processors:Orders:OnFailure", "StopPartition"));
        using var http = app.CreateClient();

        var live = await WaitForAsync(http, "/health/live", body => body.Contains("\"Unhealthy\"", StringComparison.Ordinal), HttpStatusCode.ServiceUnavailable);

        using var json = JsonDocument.Parse(live);
        Assert.Equal("Unhealthy", json.RootElement.GetProperty("status").GetString());
        var orders = json.RootElement.GetProperty("processors").GetProperty("orders");
        var stopped = Assert.Single(orders.GetProperty("stoppedPartitions").EnumerateArray()).GetString();
        Assert.Matches("^orders\\[[0-2]\\]@[0-9]+$", stopped);
        Assert.Equal($"Partitions stopped at messages that failed for good: {stopped}.", orders.GetProperty("description").GetString());
        Assert.False(string.IsNullOrWhiteSpace(orders.GetProperty("lastError").GetProperty("message").GetString()));
        using var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }

    private static WebApplicationFactory<SampleWorker::Program> Sample(params (string Key, string Value)[] settings) =>
        new WebApplicationFactory<SampleWorker::Program>().WithWebHostBuilder(builder =>
        {
            builder.ConfigureTestServices(services => services.AddLogging(logging => logging.ClearProviders())); // the sample's console log stays off the test run's
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        });

    /// <summary>GETs the path until the answer has the status and <paramref name="done"/> holds for its body; returns the body.</summary>
    private static async Task<string> WaitForAsync(HttpClient http, string path, Func<string, bool> done, HttpStatusCode status = HttpStatusCode.OK)
    {
        var deadline = DateTime.UtcNow + Timeouts.Flow;
        string body;
        HttpStatusCode answered;
        do
        {
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
            answered = response.StatusCode;
            body = await response.Content.ReadAsStringAsync();
            if (answered == status && done(body))
            {
                return body;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);

        throw new TimeoutException($"GET {path} answered {(int)answered} without the expected content within {Timeouts.Flow}: {body}");
    }

    /// <summary>The sum of a metric's samples of the sample's group (other tests' processors record on the same meter).</summary>
    private static double Sum(string metrics, string name) =>
        SampleLine().Matches(metrics)
            .Where(m => m.Groups["name"].Value == name && m.Groups["labels"].Value.Contains("messaging_consumer_group_name=\"orders-worker\"", StringComparison.Ordinal))
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex("^(?<name>[a-z_]+)(?<labels>\\{[^}]*\\})? (?<value>[0-9.eE+-]+)", RegexOptions.Multiline)]
    private static partial Regex SampleLine();
}

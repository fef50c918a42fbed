using System.Collections.Concurrent;
using Conveyor.Hosting;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Conveyor.IntegrationTests.Hosting;

/// <summary>Processors as hosted services on the embedded broker: DI handlers, stop drains and commits, a fatal failure stops the host.</summary>
[Collection(ProcessingCollection.Name)]
public class HostedProcessorTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task A_hosted_processor_handles_each_message_in_its_own_scope_and_commits_when_the_host_stops()
    {
        const int count = 20;
        var topic = kafka.CreateTopic(partitions: 3);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, count).Select(i => ((string?)$"k{i}", $"{i}")));
        var seen = new Seen();
        using var host = Build(topic, group, seen, new()
        {
            // Only the stop commits: the periodic commit would not come within the test, nor one of quiet partitions.
            ["CommitInterval"] = "01:00:00",
            ["IdleCommitDelay"] = "-00:00:00.001",
        });

        await host.StartAsync().WaitAsync(Timeouts.Flow);
        await seen.All(count).WaitAsync(Timeouts.Flow);
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, health.Entries["conveyor-orders"].Status);
        await host.StopAsync().WaitAsync(Timeouts.Stop);

        Assert.Equal(count, seen.Values.Count);
        Assert.Equal(count, seen.Scopes.Distinct().Count()); // a new scope (and scoped dependency) per message
        Assert.Equal(count, kafka.Committed(group, topic, 3).Values.Sum());
        health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, health.Entries["conveyor-orders"].Status);
        Assert.Equal("The processor has stopped.", health.Entries["conveyor-orders"].Description);
    }

    [Fact]
    public async Task A_processor_that_stops_on_failure_stops_the_host_with_a_critical_log()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, [("k", "poison")]);
        var seen = new Seen { FailOn = "poison" };
        var logs = new CollectingLoggerProvider();
        using var host = Build(topic, group, seen, new()
        {
            ["OnFailure"] = "StopProcessor",
            ["Retry:MaxAttempts"] = "1",
        }, logs);
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() => stopping.TrySetResult());

        await host.StartAsync().WaitAsync(Timeouts.Flow);
        await stopping.Task.WaitAsync(Timeouts.Flow);
        await host.StopAsync().WaitAsync(Timeouts.Stop);

        var critical = Assert.Single(logs.Entries, e => e.Id.Id == 1002);
        Assert.Equal(LogLevel.Critical, critical.Level);
        Assert.Contains("Processor orders failed and stops the application: The processor stopped because a message failed and OnFailure is StopProcessor: handler refused poison", critical.Message, StringComparison.Ordinal);
        Assert.Contains(logs.Entries, e => e.Id.Id == 1032 && e.Level == LogLevel.Error);
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, health.Entries["conveyor-orders"].Status);
        Assert.StartsWith("The processor failed:", health.Entries["conveyor-orders"].Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_processor_failure_that_stops_the_host_gives_exit_code_1()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, [("k", "poison")]);
        using var host = Build(topic, group, new Seen { FailOn = "poison" }, new()
        {
            ["OnFailure"] = "StopProcessor",
            ["Retry:MaxAttempts"] = "1",
        });
        try
        {
            var exitCode = await host.RunConveyorAsync(TextWriter.Null, CancellationToken.None).WaitAsync(Timeouts.Flow);

            Assert.Equal(1, exitCode);
            Assert.Equal(1, Environment.ExitCode); // for a Main without a return value: builder.Build().Run()
        }
        finally
        {
            Environment.ExitCode = 0; // this test process's own
        }
    }

    [Fact]
    public async Task Librdkafka_log_lines_go_to_the_logger_without_secrets()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, [("k", "1")]);
        var seen = new Seen();
        var logs = new CollectingLoggerProvider();
        using var host = Build(topic, group, seen, new()
        {
            ["Kafka:debug"] = "conf,consumer",
            ["Kafka:sasl.password"] = "hunter2-secret",
        }, logs);

        await host.StartAsync().WaitAsync(Timeouts.Flow);
        await seen.All(1).WaitAsync(Timeouts.Flow);
        await host.StopAsync().WaitAsync(Timeouts.Stop);

        var clientLines = logs.Entries.Where(e => e.Category == "Conveyor.Librdkafka" && e.Id.Id == 1052).ToList();
        Assert.NotEmpty(clientLines);
        Assert.Contains(clientLines, e => e.Level == LogLevel.Debug);
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("hunter2-secret", StringComparison.Ordinal));

        // The positive control: the configuration dump (debug=conf) did log the property, so the secret had a way out.
        Assert.Contains(clientLines, e => e.Message.Contains("sasl.password", StringComparison.Ordinal));
    }

    private IHost Build(string topic, string group, Seen seen, Dictionary<string, string?> extra, CollectingLoggerProvider? logs = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var values = new Dictionary<string, string?>
        {
            ["Conveyor:Orders:GroupId"] = group,
            ["Conveyor:Orders:Topics:0"] = topic,
            ["Conveyor:Orders:Kafka:bootstrap.servers"] = kafka.Cluster.BootstrapServers,
            ["Conveyor:Orders:Kafka:session.timeout.ms"] = "6000",
            ["Conveyor:Orders:Kafka:fetch.wait.max.ms"] = "50",
        };
        foreach (var (key, value) in extra)
        {
            values["Conveyor:Orders:" + key] = value;
        }

        builder.Configuration.AddInMemoryCollection(values);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.Services.AddSingleton(seen);
        builder.Services.AddScoped<ScopeMarker>();
        builder.Services.AddConveyorProcessor<string, string, RecordingHandler>("orders", builder.Configuration.GetSection("Conveyor:Orders"));
        return builder.Build();
    }

    internal sealed class Seen
    {
        private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];

        public string? FailOn { get; init; }

        public ConcurrentQueue<string> Values { get; } = new();

        public ConcurrentQueue<Guid> Scopes { get; } = new();

        public void Add(string value, Guid scope)
        {
            Scopes.Enqueue(scope);
            Values.Enqueue(value);
            lock (_waiters)
            {
                foreach (var waiter in _waiters.Where(w => Values.Count >= w.Count))
                {
                    waiter.Reached.TrySetResult();
                }
            }
        }

        public Task All(int count)
        {
            lock (_waiters)
            {
                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((count, reached));
                if (Values.Count >= count)
                {
                    reached.TrySetResult();
                }

                return reached.Task;
            }
        }
    }

    internal sealed class ScopeMarker
    {
        public Guid Id { get; } = Guid.NewGuid();
    }

    internal sealed class RecordingHandler(Seen seen, ScopeMarker scope) : IMessageHandler<string, string>
    {
        public ValueTask HandleAsync(MessageContext<string, string> message, CancellationToken cancellationToken)
        {
            if (message.Value == seen.FailOn)
            {
                throw new InvalidOperationException($"handler refused {message.Value}");
            }

            seen.Add(message.Value, scope.Id);
            return ValueTask.CompletedTask;
        }
    }
}

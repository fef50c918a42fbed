using System.Collections.Concurrent;
using Conveyor.Hosting;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Conveyor.Processing.Forwarding;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Conveyor.IntegrationTests.Hosting;

/// <summary>A forwarder and a batch processor hosted like a processor: bound from configuration, handlers from DI, a health check, a clean stop.</summary>
[Collection(ProcessingCollection.Name)]
public class HostedForwarderAndBatchTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task A_hosted_forwarder_writes_every_output_reports_healthy_and_commits_when_the_host_stops()
    {
        const int count = 12;
        var input = kafka.CreateTopic(partitions: 2);
        var output = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, input, Enumerable.Range(0, count).Select(i => ((string?)$"k{i}", $"m{i}")));
        using var host = Build(group, input, (services, section) =>
        {
            services.AddSingleton(new Destination(output));
            services.AddConveyorForwarder<string, string, Upper>("orders", section);
        });

        await host.StartAsync().WaitAsync(Timeouts.Flow);
        var written = KafkaTestClient.ReadAll(kafka.Cluster.BootstrapServers, output, count, Timeouts.Flow).Select(r => r.Message.Value!).ToHashSet();
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        await host.StopAsync().WaitAsync(Timeouts.Stop);

        Assert.Equal(Enumerable.Range(0, count).Select(i => $"M{i}").ToHashSet(), written);
        Assert.Equal(HealthStatus.Healthy, health.Entries["conveyor-orders"].Status);
        Assert.Equal(count, kafka.Committed(group, input, 2).Values.Sum());
    }

    [Fact]
    public async Task A_hosted_batch_processor_gets_batches_as_configured_and_commits_when_the_host_stops()
    {
        const int count = 12;
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, count).Select(i => ((string?)"k", $"m{i}")));
        var batches = new Batches();
        using var host = Build(group, topic, (services, section) =>
        {
            services.AddSingleton(batches);
            services.AddConveyorBatchProcessor<string, string, Collect>("orders", section);
        }, new() { ["Batch:MaxMessages"] = "4", ["Batch:MaxWait"] = "01:00:00" });

        await host.StartAsync().WaitAsync(Timeouts.Flow);
        await batches.All(count).WaitAsync(Timeouts.Flow);
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        await host.StopAsync().WaitAsync(Timeouts.Stop);

        Assert.Equal([4, 4, 4], batches.Sizes);
        Assert.Equal(HealthStatus.Healthy, health.Entries["conveyor-orders"].Status);
        Assert.Equal(count, kafka.Committed(group, topic, 1).Values.Sum());
    }

    [Fact]
    public async Task A_hosted_processor_takes_an_async_value_deserializer_beside_the_default_key_one()
    {
        const int count = 5;
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, count).Select(i => ((string?)$"k{i}", $"m{i}")));
        var seen = new Seen();
        using var host = Build(group, topic, (services, section) =>
        {
            services.AddSingleton(seen);
            services.AddConveyorProcessor<string, string, Record>("orders", section, registration => registration.AsyncValueDeserializer = new AsyncUpper());
        });

        await host.StartAsync().WaitAsync(Timeouts.Flow);
        await seen.All.Task.WaitAsync(Timeouts.Flow);
        await host.StopAsync().WaitAsync(Timeouts.Stop);

        Assert.Equal(Enumerable.Range(0, count).Select(i => $"k{i}=M{i}"), seen.Values.Order()); // keys run side by side
    }

    [Fact]
    public void Both_kinds_of_deserializer_for_one_part_are_refused_at_registration()
    {
        var services = new ServiceCollection();
        var configuration = new ConfigurationBuilder().Build();

        var error = Assert.Throws<ArgumentException>(() => services.AddConveyorProcessor<string, string, Record>("orders", configuration, registration =>
        {
            registration.ValueDeserializer = Confluent.Kafka.Deserializers.Utf8;
            registration.AsyncValueDeserializer = new AsyncUpper();
        }));

        Assert.Equal("Set ValueDeserializer or AsyncValueDeserializer, not both.", error.Message);
    }

    private IHost Build(string group, string topic, Action<IServiceCollection, IConfiguration> add, Dictionary<string, string>? extra = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var values = new Dictionary<string, string?>
        {
            ["Conveyor:Orders:GroupId"] = group,
            ["Conveyor:Orders:Topics:0"] = topic,
            // Only the stop commits: the periodic commit would not come within the test, nor one of quiet partitions.
            ["Conveyor:Orders:CommitInterval"] = "01:00:00",
            ["Conveyor:Orders:IdleCommitDelay"] = "-00:00:00.001",
            ["Conveyor:Orders:Kafka:bootstrap.servers"] = kafka.Cluster.BootstrapServers,
            ["Conveyor:Orders:Kafka:session.timeout.ms"] = "6000",
            ["Conveyor:Orders:Kafka:fetch.wait.max.ms"] = "50",
        };
        foreach (var (key, value) in extra ?? [])
        {
            values["Conveyor:Orders:" + key] = value;
        }

        builder.Configuration.AddInMemoryCollection(values);
        add(builder.Services, builder.Configuration.GetSection("Conveyor:Orders"));
        return builder.Build();
    }

    internal sealed record Destination(string Topic);

    internal sealed class Upper(Destination destination) : IForwardingHandler<string, string>
    {
        public ValueTask<IReadOnlyList<OutputRecord>> HandleAsync(MessageContext<string, string> message, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<OutputRecord>>([OutputRecord.Utf8(destination.Topic, message.Key, message.Value.ToUpperInvariant())]);
    }

    internal sealed class Batches
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _expected = int.MaxValue;
        private int _messages;

        public ConcurrentQueue<int> Sizes { get; } = new();

        public void Add(int size)
        {
            Sizes.Enqueue(size);
            if (Interlocked.Add(ref _messages, size) >= Volatile.Read(ref _expected))
            {
                _all.TrySetResult();
            }
        }

        public Task All(int count)
        {
            Volatile.Write(ref _expected, count);
            if (Volatile.Read(ref _messages) >= count)
            {
                _all.TrySetResult();
            }

            return _all.Task;
        }
    }

    internal sealed class Collect(Batches batches) : IBatchHandler<string, string>
    {
        public ValueTask HandleAsync(IReadOnlyList<MessageContext<string, string>> batch, CancellationToken cancellationToken)
        {
            batches.Add(batch.Count);
            return ValueTask.CompletedTask;
        }
    }

    internal sealed class Seen
    {
        public ConcurrentQueue<string> Values { get; } = new();

        public TaskCompletionSource All { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    internal sealed class Record(Seen seen) : IMessageHandler<string, string>
    {
        public ValueTask HandleAsync(MessageContext<string, string> message, CancellationToken cancellationToken)
        {
            seen.Values.Enqueue($"{message.Key}={message.Value}");
            if (seen.Values.Count == 5)
            {
                seen.All.TrySetResult();
            }

            return ValueTask.CompletedTask;
        }
    }

    private sealed class AsyncUpper : Confluent.Kafka.IAsyncDeserializer<string>
    {
        public async Task<string> DeserializeAsync(ReadOnlyMemory<byte> data, bool isNull, Confluent.Kafka.SerializationContext context)
        {
            await Task.Yield();
            return System.Text.Encoding.UTF8.GetString(data.Span).ToUpperInvariant();
        }
    }
}

using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Processing;
using Conveyor.Processing.Engine;

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// The baselines: a plain Confluent.Kafka group consumer, one message at a time, as the tutorials
/// write it: consume, handle, store the offset (committed by librdkafka's auto-commit), next.
/// </summary>
internal sealed class RawLoopRunner
{
    private readonly KafkaClientProperties _client;

    public RawLoopRunner(KafkaClientProperties client)
    {
        _client = client;
    }

    /// <summary>Consumes <paramref name="messages"/> messages of the backlog, calling <paramref name="handle"/> (if any) for each.</summary>
    /// <param name="scenario">The row's name.</param>
    /// <param name="backlog">The topic to consume.</param>
    /// <param name="messages">How many messages to consume.</param>
    /// <param name="handle">Called for each message, if given.</param>
    /// <param name="librdkafkaDefaults">Use librdkafka's own consumer defaults instead of the engine's settings.</param>
    public Task<Throughput> RunAsync(string scenario, Backlog backlog, int messages, Func<ValueTask>? handle = null, bool librdkafkaDefaults = false) =>
        Task.Factory.StartNew(
            () => Run(scenario, backlog, messages, handle, librdkafkaDefaults),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap();

    private async Task<Throughput> Run(string scenario, Backlog backlog, int messages, Func<ValueTask>? handle, bool librdkafkaDefaults)
    {
        var config = librdkafkaDefaults
            ? new ConsumerConfig
            {
                BootstrapServers = _client.BootstrapServers,
                GroupId = $"raw-default-{Guid.NewGuid():N}",
                AutoOffsetReset = AutoOffsetReset.Earliest,
                EnableAutoOffsetStore = false,
            }
            : Config(_client, $"raw-{Guid.NewGuid():N}", backlog.Topic);
        var meter = new ThroughputMeter(messages) { ByThread = ThreadCpu.Enabled };
        using var trace = RoundTrace.StartIfEnabled(scenario, backlog.Partitions);
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe(backlog.Topic);
        var deadline = DateTime.UtcNow + Timeout(messages);
        while (!meter.IsDone)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{scenario}: the raw loop did not consume {messages} messages of '{backlog.Topic}' in time.");
            }

            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is null || result.IsPartitionEOF)
            {
                continue;
            }

            if (handle is not null)
            {
                await handle().ConfigureAwait(false);
            }

            consumer.StoreOffset(result);
            trace?.Count(result.Partition.Value);
            meter.Count();
        }

        consumer.Close();
        return meter.Result(scenario);
    }

    /// <summary>
    /// The engine's consumer settings for the same client properties (its defaults included), except
    /// that librdkafka commits the stored offsets every 5 s, as in the tutorials.
    /// </summary>
    public static ConsumerConfig Config(KafkaClientProperties client, string group, string topic)
    {
        var config = ConsumerSettings.For(client, new ProcessorOptions { GroupId = group, Topics = [topic] });
        config.EnableAutoCommit = true;
        return config;
    }

    internal static TimeSpan Timeout(int messages) => TimeSpan.FromSeconds(60) + TimeSpan.FromMilliseconds(messages * 0.1);
}

using Conveyor.Configuration;
using Conveyor.Processing;

namespace Conveyor.Benchmarks.Engine;

/// <summary>Runs <see cref="KafkaProcessor{TKey, TValue}"/> over a backlog until it has handled a number of messages, then stops it.</summary>
internal sealed class EngineRunner
{
    private readonly KafkaClientProperties _client;

    public EngineRunner(KafkaClientProperties client)
    {
        _client = client;
    }

    /// <summary>
    /// Handles <paramref name="messages"/> messages of the backlog with <paramref name="handle"/>
    /// (a no-op when null), then calls <paramref name="handled"/> (if given) while the processor still
    /// runs; the processor is then stopped (drain, commit, leave).
    /// </summary>
    public async Task<Throughput> RunAsync(
        string scenario,
        Backlog backlog,
        int messages,
        OrderingMode ordering = OrderingMode.Key,
        int concurrency = 64,
        Func<CancellationToken, ValueTask>? handle = null,
        Action? handled = null)
    {
        var options = new ProcessorOptions
        {
            GroupId = $"engine-{Guid.NewGuid():N}",
            Topics = [backlog.Topic],
            Ordering = ordering,
            MaxConcurrency = concurrency,
            OnFailure = FailureAction.StopProcessor,
        };
        var meter = new ThroughputMeter(messages) { ByThread = ThreadCpu.Enabled };
        using var trace = RoundTrace.StartIfEnabled(scenario, backlog.Partitions);
        MessageHandler<byte[], byte[]> handler = handle is null
            ? (message, _) =>
            {
                trace?.Count(message.Partition);
                meter.Count();
                return ValueTask.CompletedTask;
            }
        : async (message, cancellationToken) =>
            {
                await handle(cancellationToken).ConfigureAwait(false);
                trace?.Count(message.Partition);
                meter.Count();
            };

        using var stop = new CancellationTokenSource();
        var pauses = new PauseCounter();
        var processor = new KafkaProcessorBuilder<byte[], byte[]>(_client, options).SetObserver(pauses).Handle(handler).Build();
        if (trace is not null)
        {
            trace.Buffered = () => processor.Status.BufferedMessages.Values.Sum();
        }

        var running = processor.RunAsync(stop.Token);
        var finished = await Task.WhenAny(meter.Reached, running, Task.Delay(RawLoopRunner.Timeout(messages))).ConfigureAwait(false);
        if (finished == meter.Reached)
        {
            handled?.Invoke(); // the processor still runs, every message handled
        }

        await stop.CancelAsync().ConfigureAwait(false);
        await running.ConfigureAwait(false);
        if (finished != meter.Reached)
        {
            throw new TimeoutException($"{scenario}: the engine did not handle {messages} messages of '{backlog.Topic}' in time.");
        }

        return meter.Result(scenario) with { Pauses = pauses.Count };
    }

    /// <summary>Counts partitions paused by back-pressure: each pause discards librdkafka's prefetched messages.</summary>
    private sealed class PauseCounter : IProcessorObserver
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void OnBackPressure(IReadOnlyList<Confluent.Kafka.TopicPartition> partitions, bool paused)
        {
            if (paused)
            {
                Interlocked.Add(ref _count, partitions.Count);
            }
        }
    }
}

using System.Text;
using Confluent.Kafka;
using Conveyor.Benchmarks.Engine;
using Conveyor.Configuration;
using Conveyor.Processing;
using Conveyor.Processing.Engine;
using Conveyor.Serialization;

namespace Conveyor.Benchmarks.PollPath;

/// <summary>
/// <c>pollpath [--messages N] [--rounds R]</c>: the engine's own cost per message, without a broker
/// or librdkafka. A whole processor (poll loop, dispatcher, 64 workers, telemetry) runs a no-op
/// handler over messages an <see cref="InMemoryConsumer"/> made before the run, so the process CPU
/// and the allocations from the first handled message to the last are the engine's. The layouts
/// are the engine benchmark's: the no-op one (6 partitions here, 1,000 keys) and the scale ones
/// (100,000 keys in 6 and in 1,000 partitions). CPU time holds up on a busy machine where wall time
/// does not; the median of the rounds counts.
/// </summary>
internal static class PollPathBenchmark
{
    private static readonly (string Name, int Partitions, int Keys)[] Layouts =
    [
        ("6 partitions, 1,000 keys", 6, 1_000),
        ("6 partitions, 100,000 keys", 6, 100_000),
        ("1,000 partitions, 100,000 keys", 1_000, 100_000),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var messages = Option(args, "--messages") ?? 200_000;
        var rounds = Option(args, "--rounds") ?? 5;
        Console.WriteLine($"pollpath: {messages:N0} messages of 100 bytes per round, a warm-up and {rounds} rounds per layout; Key ordering, MaxConcurrency 64, no-op handler, no broker");
        Console.WriteLine($"{"layout",-32} {"CPU µs/msg",10} {"B/msg",8} {"msg/s",11} {"heap MiB",9} {"commits",8} {"pauses",7}");
        foreach (var (name, partitions, keys) in Layouts)
        {
            var logs = Logs(partitions, keys, messages);
            await RunOnceAsync(logs, messages).ConfigureAwait(false); // warm-up: tiered JIT recompiles the hot paths
            var results = new List<Result>();
            for (var round = 0; round < rounds; round++)
            {
                results.Add(await RunOnceAsync(logs, messages).ConfigureAwait(false));
            }

            var median = results.OrderBy(r => r.Run.CpuMicrosecondsPerMessage).ElementAt(results.Count / 2);
            Console.WriteLine($"{name,-32} {median.Run.CpuMicrosecondsPerMessage,10:F2} {median.Run.AllocatedBytesPerMessage,8:F0} {median.Run.PerSecond,11:N0} "
                + $"{median.HeapMib,9:F1} {median.Commits,8} {median.Pauses,7}   (CPU of the rounds: {string.Join(", ", results.Select(r => r.Run.CpuMicrosecondsPerMessage.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))})");
        }

        return 0;
    }

    private sealed record Result(Throughput Run, double HeapMib, int Commits, int Pauses);

    private static async Task<Result> RunOnceAsync(ConsumeResult<byte[]?, byte[]?>[][] logs, int messages)
    {
        var options = new ProcessorOptions
        {
            GroupId = "pollpath",
            Topics = ["pollpath"],
            Ordering = OrderingMode.Key,
            MaxConcurrency = 64,
            OnFailure = FailureAction.StopProcessor,
        };
        var client = new KafkaClientProperties("in-memory:9092");
        var meter = new ThroughputMeter(messages);
        var factory = new InMemoryConsumer.Factory(logs);
        var processor = new KafkaProcessor<byte[], byte[]>(
            client,
            options,
            StagedHandlers.From<byte[], byte[]>((_, _) =>
            {
                meter.Count();
                return ValueTask.CompletedTask;
            }),
            MessageDeserializer<byte[]>.Of((IDeserializer<byte[]>?)null),
            MessageDeserializer<byte[]>.Of((IDeserializer<byte[]>?)null),
            ProcessorSetup.Telemetry(client, options, observer: null),
            transactions: null,
            consumers: factory);
        using var stop = new CancellationTokenSource();
        var running = processor.RunAsync(stop.Token);
        var finished = await Task.WhenAny(meter.Reached, running, Task.Delay(TimeSpan.FromMinutes(2))).ConfigureAwait(false);
        var heap = finished == meter.Reached ? Heap() : 0;
        await stop.CancelAsync().ConfigureAwait(false);
        await running.ConfigureAwait(false);
        if (finished != meter.Reached)
        {
            throw new TimeoutException($"pollpath: the engine did not handle {messages} messages in time.");
        }

        var consumer = factory.Made!;
        return new Result(meter.Result("pollpath"), heap / 1048576.0, consumer.Commits, consumer.Pauses);
    }

    /// <summary>Message i has key <c>key-(i mod keys)</c> and lives in partition (i mod keys) mod partitions, as in the engine benchmark's backlogs.</summary>
    private static ConsumeResult<byte[]?, byte[]?>[][] Logs(int partitions, int keys, int messages)
    {
        var keyBytes = Enumerable.Range(0, Math.Min(keys, messages)).Select(k => Encoding.UTF8.GetBytes($"key-{k}")).ToArray();
        var value = new byte[100];
        var logs = Enumerable.Range(0, partitions).Select(_ => new List<ConsumeResult<byte[]?, byte[]?>>()).ToArray();
        var topicPartitions = Enumerable.Range(0, partitions).Select(p => new TopicPartition("pollpath", p)).ToArray();
        for (var i = 0; i < messages; i++)
        {
            var key = i % keyBytes.Length;
            var partition = key % partitions;
            var log = logs[partition];
            log.Add(new ConsumeResult<byte[]?, byte[]?>
            {
                TopicPartitionOffset = new TopicPartitionOffset(topicPartitions[partition], log.Count),
                Message = new Message<byte[]?, byte[]?> { Key = keyBytes[key], Value = value, Headers = [], Timestamp = new Timestamp(DateTime.UtcNow) }, // Confluent.Kafka gives every message its headers
            });
        }

        return [.. logs.Select(l => l.ToArray())];
    }

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static int? Option(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], out var value) ? value : null;
    }
}

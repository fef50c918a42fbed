using System.Diagnostics;
using System.Globalization;
using Conveyor.Benchmarks.Engine;
using Conveyor.Processing;
using Conveyor.Processing.Concurrency;
using Conveyor.Testing;

namespace Conveyor.Benchmarks.Downstream;

/// <summary>
/// <c>downstream [--quick]</c>: a processor whose handler calls a <see cref="SimulatedDownstream"/>
/// of capacity 8, 32 and 128, with fixed limits 4, 16, 64, 256 and with the adaptive limit, on the
/// embedded broker. Each run: a new group over one backlog, a warm-up, then a measured window;
/// throughput (calls that succeeded per second), p99 latency of every call, failed attempts (timeouts) since the start.
/// </summary>
internal static class DownstreamBenchmark
{
    private static readonly int[] Capacities = [8, 32, 128];
    private static readonly int[] FixedLimits = [4, 16, 64, 256];
    private static readonly TimeSpan BaseLatency = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(100);

    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var warmup = TimeSpan.FromSeconds(quick ? 2 : 3);
        var window = TimeSpan.FromSeconds(quick ? 5 : 10);
        var capacities = args.SkipWhile(a => a != "--capacity").Skip(1).Take(1).Select(int.Parse).DefaultIfEmpty().ToArray() is [> 0] chosen ? chosen : Capacities;
        await using var cluster = EmbeddedKafkaCluster.Start();
        var client = BenchmarkSettings.Client(cluster.BootstrapServers);
        const string topic = "downstream";
        const int partitions = 32;
        var messages = (int)(128 / BaseLatency.TotalSeconds * (warmup + window).TotalSeconds * 1.3);
        new BacklogProducer(cluster, BenchmarkSettings.Full).Produce(topic, partitions, messages);
        cluster.CreateTopic(topic + ".dlq", 4);
        Console.WriteLine($"backlog: {messages:N0} messages in {partitions} partitions; downstream latency {BaseLatency.TotalMilliseconds} ms up to its capacity, timeout {Timeout.TotalMilliseconds} ms; warm-up {warmup.TotalSeconds} s, window {window.TotalSeconds} s");
        Console.WriteLine("| capacity | limit | msg/s | p99 ms | failed attempts | vs best fixed |");
        Console.WriteLine("|---|---|---|---|---|---|");
        var goalsMet = true;
        foreach (var capacity in capacities)
        {
            var results = new List<RunResult>();
            foreach (var limit in FixedLimits)
            {
                results.Add(await RunOnceAsync(client, topic, capacity, limit, adaptive: false, warmup, window).ConfigureAwait(false));
            }

            var adaptive = await RunOnceAsync(client, topic, capacity, 256, adaptive: true, warmup, window).ConfigureAwait(false);
            var best = results.MaxBy(r => r.PerSecond)!;
            foreach (var result in results.Append(adaptive))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {capacity} | {result.Setting} | {result.PerSecond:F0} | {result.P99Ms:F0} | {result.Failed} | {result.PerSecond / best.PerSecond:F2} |"));
            }

            var aboveCapacity = results.Where(r => r.Limit > capacity).ToList();
            var throughputMet = adaptive.PerSecond >= 0.9 * best.PerSecond;
            var latencyMet = adaptive.P99Ms <= 1.5 * best.P99Ms;
            var failuresMet = aboveCapacity.All(r => adaptive.Failed < r.Failed || r.Failed == 0 && adaptive.Failed == 0);
            goalsMet &= throughputMet && latencyMet && failuresMet;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"capacity {capacity}: best fixed {best.Setting}; adaptive {adaptive.PerSecond / best.PerSecond:F2} of its throughput (goal >= 0.9: {Met(throughputMet)}), p99 {adaptive.P99Ms / best.P99Ms:F2} x (goal <= 1.5: {Met(latencyMet)}), "
                + $"failed attempts {adaptive.Failed} against {string.Join(", ", aboveCapacity.Select(r => $"{r.Failed} at {r.Limit}"))} (goal fewer: {Met(failuresMet)}); adaptive limit at the end {adaptive.FinalLimit}"));
        }

        return goalsMet ? 0 : 1;
    }

    private static string Met(bool met) => met ? "met" : "MISSED";

    private static async Task<RunResult> RunOnceAsync(Configuration.KafkaClientProperties client, string topic, int capacity, int limit, bool adaptive, TimeSpan warmup, TimeSpan window)
    {
        var downstream = new SimulatedDownstream(capacity, BaseLatency, Timeout);
        var options = new ProcessorOptions
        {
            GroupId = $"downstream-{Guid.NewGuid():N}",
            Topics = [topic],
            MaxConcurrency = limit,
            Concurrency = new ConcurrencyOptions { Adaptive = adaptive },
        };
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var processor = new KafkaProcessorBuilder<byte[], byte[]>(client, options)
            .Handle(async (_, cancellationToken) =>
            {
                first.TrySetResult();
                await downstream.CallAsync(cancellationToken).ConfigureAwait(false);
            })
            .Build();
        using var stop = new CancellationTokenSource();
        var running = processor.RunAsync(stop.Token);
        await Task.WhenAny(first.Task, running).ConfigureAwait(false);
        await Task.Delay(warmup).ConfigureAwait(false);
        downstream.StartWindow();
        var started = Stopwatch.GetTimestamp();
        await Task.Delay(window).ConfigureAwait(false);
        var (succeeded, latencies) = downstream.EndWindow();
        var elapsed = Stopwatch.GetElapsedTime(started);
        var finalLimit = processor.Status.ConcurrencyLimit;
        await stop.CancelAsync().ConfigureAwait(false);
        await running.ConfigureAwait(false);
        latencies.Sort();
        var p99 = latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(latencies.Count * 0.99) - 1)];
        return new RunResult(adaptive ? "adaptive" : limit.ToString(CultureInfo.InvariantCulture), limit, succeeded / elapsed.TotalSeconds, p99, downstream.Failed, finalLimit);
    }

    private sealed record RunResult(string Setting, int Limit, double PerSecond, double P99Ms, long Failed, int FinalLimit);
}

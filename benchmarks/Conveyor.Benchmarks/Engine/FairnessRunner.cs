using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Processing;

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// The fairness layout: a backlog produced before anything consumes it, fetched in large
/// per-partition batches as a real broker returns them, a handler of about 1 ms and
/// <see cref="Concurrency"/> workers. Measures how evenly the engine serves the partitions.
/// </summary>
internal sealed class FairnessRunner
{
    /// <summary>Workers, as the issue's layout asks.</summary>
    public const int Concurrency = 16;

    /// <summary>
    /// A real broker's fetch sizes (librdkafka's defaults: up to 1 MiB of each partition, about
    /// 7,000 messages of 100 bytes here), stated so the layout does not depend on defaults. The
    /// embedded broker returns whole produced batches, which the backlog producer makes large.
    /// </summary>
    public static readonly KeyValuePair<string, string>[] FetchSizes =
    [
        new("max.partition.fetch.bytes", "1048576"),
        new("fetch.max.bytes", "52428800"),
    ];

    /// <summary>With <c>CONVEYOR_FAIR_TRACE=1</c>: each back-pressure pause and resume, with the time and every partition's handled count, printed after the run.</summary>
    private static readonly bool Trace = Environment.GetEnvironmentVariable("CONVEYOR_FAIR_TRACE") == "1";

    private readonly KafkaClientProperties _client;

    public FairnessRunner(KafkaClientProperties client)
    {
        _client = new KafkaClientProperties(client.BootstrapServers, [.. client.Properties, .. FetchSizes.Select(p => new KafkaProperty(p.Key, p.Value))]);
    }

    /// <summary>
    /// Consumes the backlog with a plain consumer of the same settings and returns the mean number
    /// of messages of one partition delivered in a row: the proof that fetches bring thousands of
    /// one partition at a time (a small figure would make the layout show nothing).
    /// </summary>
    public double FetchRunMean(Backlog backlog)
    {
        var config = RawLoopRunner.Config(_client, $"fair-trace-{Guid.NewGuid():N}", backlog.Topic);
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe(backlog.Topic);
        var deadline = DateTime.UtcNow + RawLoopRunner.Timeout(backlog.Messages);
        var consumed = 0;
        var runs = 0;
        var last = -1;
        while (consumed < backlog.Messages && DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is null || result.IsPartitionEOF)
            {
                continue;
            }

            consumed++;
            if (result.Partition.Value != last)
            {
                runs++;
                last = result.Partition.Value;
            }
        }

        consumer.Close();
        return runs == 0 ? 0 : (double)consumed / runs;
    }

    /// <summary>Handles the whole backlog with the engine (Key ordering, defaults otherwise) and the ~1 ms handler.</summary>
    public async Task<FairnessResult> RunAsync(Backlog backlog, int distinctKeys, int delayMilliseconds)
    {
        var options = new ProcessorOptions
        {
            GroupId = $"fair-{Guid.NewGuid():N}",
            Topics = [backlog.Topic],
            MaxConcurrency = Concurrency,
            OnFailure = FailureAction.StopProcessor,
        };
        var progress = new PartitionProgress(Shares(backlog, distinctKeys), backlog.Messages);
        var delay = new DelayHandler(delayMilliseconds);
        var pauses = 0;
        var trace = Trace ? new ConcurrentQueue<string>() : null;
        var observer = new BackPressureObserver((partitions, paused) =>
        {
            if (paused)
            {
                Interlocked.Increment(ref pauses);
            }

            trace?.Enqueue($"{progress.Elapsed.TotalMilliseconds:F0} ms {(paused ? "pause" : "resume")} {string.Join(",", partitions.Select(p => p.Partition.Value))}; handled {progress.Handled()}");
        });
        using var stop = new CancellationTokenSource();
        var processor = new KafkaProcessorBuilder<byte[], byte[]>(_client, options).SetObserver(observer).Handle(async (message, cancellationToken) =>
        {
            await delay.HandleAsync(cancellationToken).ConfigureAwait(false);
            progress.Handled(message.Partition);
        }).Build();
        progress.Start();
        var running = processor.RunAsync(stop.Token);
        var finished = await Task.WhenAny(progress.Done, running, Task.Delay(RawLoopRunner.Timeout(backlog.Messages))).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await running.ConfigureAwait(false);
        foreach (var line in trace ?? [])
        {
            await Console.Error.WriteLineAsync($"fairness trace: {line}").ConfigureAwait(false);
        }

        if (finished != progress.Done)
        {
            throw new TimeoutException($"fairness: the engine did not handle the {backlog.Messages} messages of '{backlog.Topic}' in time.");
        }

        return progress.Result(pauses, delay.Mean);
    }

    /// <summary>Each partition's messages in the backlog, as <see cref="BacklogProducer"/> spreads them (key i mod keys, partition key mod partitions).</summary>
    private static int[] Shares(Backlog backlog, int distinctKeys)
    {
        var shares = new int[backlog.Partitions];
        for (var i = 0; i < backlog.Messages; i++)
        {
            shares[i % distinctKeys % backlog.Partitions]++;
        }

        return shares;
    }

    private sealed class BackPressureObserver(Action<IReadOnlyList<TopicPartition>, bool> changed) : IProcessorObserver
    {
        public void OnBackPressure(IReadOnlyList<TopicPartition> partitions, bool isPaused) => changed(partitions, isPaused);
    }

    /// <summary>Counts handled messages per partition; snapshots them when half the backlog is handled.</summary>
    private sealed class PartitionProgress
    {
        private readonly int[] _shares;
        private readonly int[] _handled;
        private readonly long[] _first;
        private readonly int _total;
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int[]? _atHalf;
        private long _started;
        private TimeSpan _startedCpu;
        private TimeSpan _endedCpu;
        private long _ended;
        private int _count;

        public PartitionProgress(int[] shares, int total)
        {
            _shares = shares;
            _handled = new int[shares.Length];
            _first = new long[shares.Length];
            _total = total;
        }

        public Task Done => _done.Task;

        public void Start()
        {
            _started = Stopwatch.GetTimestamp();
            _startedCpu = Environment.CpuUsage.TotalTime;
        }

        public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

        /// <summary>Each partition's handled count now (for the trace).</summary>
        public string Handled() => string.Join("/", _handled); // a moment's figures, read while workers go on

        public void Handled(int partition)
        {
            if (Interlocked.Increment(ref _handled[partition]) == 1)
            {
                Volatile.Write(ref _first[partition], Stopwatch.GetTimestamp());
            }

            var count = Interlocked.Increment(ref _count);
            if (count == _total / 2)
            {
                _atHalf = [.. _handled]; // a moment's figures, read while workers go on
            }
            else if (count == _total)
            {
                _ended = Stopwatch.GetTimestamp();
                _endedCpu = Environment.CpuUsage.TotalTime;
                _done.TrySetResult();
            }
        }

        public FairnessResult Result(int pauses, TimeSpan handlerMean)
        {
            var half = _atHalf!.Select((handled, p) => (double)handled / _shares[p]).ToArray();
            var firsts = _first.Select(f => Stopwatch.GetElapsedTime(_started, f).TotalMilliseconds).ToArray();
            return new FairnessResult(
                Fairness: half.Max() == 0 ? 0 : half.Min() / half.Max(),
                AtHalf: _atHalf!,
                FirstMessageMs: firsts,
                FirstWorstOverMean: firsts.Max() / firsts.Average(),
                Elapsed: Stopwatch.GetElapsedTime(_started, _ended),
                Cpu: _endedCpu - _startedCpu,
                Pauses: pauses,
                HandlerMean: handlerMean);
        }
    }
}

/// <summary>
/// One fairness run. <see cref="Fairness"/>: when half the backlog was handled, the least-progressed
/// partition's handled fraction (of its own messages) over the most-progressed one's.
/// <see cref="FirstMessageMs"/>: from the processor's start to each partition's first handled message.
/// </summary>
internal sealed record FairnessResult(
    double Fairness,
    int[] AtHalf,
    double[] FirstMessageMs,
    double FirstWorstOverMean,
    TimeSpan Elapsed,
    TimeSpan Cpu,
    int Pauses,
    TimeSpan HandlerMean);

using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Processing;
using Conveyor.Testing;

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// End-to-end latency at a fixed produce rate: a paced producer writes to an empty topic that a
/// consumer (the engine with its defaults, or the raw loop) already owns; for every message
/// produced after a warm-up, the time from the record's timestamp (CreateTime, set when it is
/// produced) to the handler's start, and to the commit that covers it. One call is one round
/// with a topic and consumer of its own; <see cref="EngineBenchmark"/> alternates them.
/// </summary>
internal sealed class LatencyRunner
{
    private static readonly TimeSpan CommitWait = TimeSpan.FromSeconds(12);

    // Long enough for a consumer far behind; a round normally ends as soon as its last message started.
    private static readonly TimeSpan StartWait = TimeSpan.FromSeconds(10);

    private readonly EmbeddedKafkaCluster _cluster;
    private readonly KafkaClientProperties _client;
    private readonly BenchmarkSettings _settings;

    public LatencyRunner(EmbeddedKafkaCluster cluster, KafkaClientProperties client, BenchmarkSettings settings)
    {
        _cluster = cluster;
        _client = client;
        _settings = settings;
    }

    /// <summary>Partitions enough that <paramref name="messages"/> stay far below the embedded broker's ~5 MiB retention per partition.</summary>
    public static int PartitionsFor(int messages) => Math.Max(6, (messages + 14_999) / 15_000);

    /// <summary>
    /// The engine (Key ordering, default options) behind a paced producer; with <paramref name="commits"/>,
    /// waits for the commits of every message: under load the run-ahead bound's early commits, after
    /// the last message the commit of the partitions gone quiet (<see cref="ProcessorOptions.IdleCommitDelay"/>).
    /// </summary>
    public async Task<LatencyResult> RunEngineAsync(string round, double rate, TimeSpan duration, bool commits)
    {
        var messages = (int)(rate * duration.TotalSeconds);
        var topic = $"latency-engine-{Guid.NewGuid():N}";
        _cluster.CreateTopic(topic, PartitionsFor(messages));
        var record = new LatencyRecord(PartitionsFor(messages), messages);
        var observer = new Observer(record);
        var options = new ProcessorOptions { GroupId = $"latency-engine-{Guid.NewGuid():N}", Topics = [topic] };
        MessageHandler<byte[], byte[]> handler = (message, _) =>
        {
            record.Started(message.Partition, message.Offset, message.Timestamp.UnixTimestampMs);
            return ValueTask.CompletedTask;
        };
        using var stop = new CancellationTokenSource();
        var processor = new KafkaProcessorBuilder<byte[], byte[]>(_client, options).SetObserver(observer).Handle(handler).Build();
        var running = processor.RunAsync(stop.Token);
        await observer.Assigned.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        var produced = await Task.Run(() => Produce(topic, PartitionsFor(messages), messages, rate)).ConfigureAwait(false);
        await SettleAsync(record, commits).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await running.ConfigureAwait(false);
        return record.Result($"engine {round}", produced, commits);
    }

    /// <summary>The raw loop (consume, StoreOffset, librdkafka's auto-commit every 5 s) behind a paced producer; with <paramref name="commits"/>, waits for the auto-commits of every message.</summary>
    public async Task<LatencyResult> RunRawAsync(string round, double rate, TimeSpan duration, bool commits)
    {
        var messages = (int)(rate * duration.TotalSeconds);
        var topic = $"latency-raw-{Guid.NewGuid():N}";
        _cluster.CreateTopic(topic, PartitionsFor(messages));
        var record = new LatencyRecord(PartitionsFor(messages), messages);
        var assigned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var consuming = Task.Factory.StartNew(
            () =>
            {
                var config = RawLoopRunner.Config(_client, $"latency-raw-{Guid.NewGuid():N}", topic);
                using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config)
                    .SetLogHandler((_, _) => { })
                    .SetPartitionsAssignedHandler((_, _) => assigned.TrySetResult())
                    .SetOffsetsCommittedHandler((_, committed) => record.Committed(committed.Offsets.Where(o => o.Error.Code == ErrorCode.NoError).Select(o => o.TopicPartitionOffset)))
                    .Build();
                consumer.Subscribe(topic);
                while (!stop.IsCancellationRequested)
                {
                    var result = consumer.Consume(TimeSpan.FromMilliseconds(50));
                    if (result is null || result.IsPartitionEOF)
                    {
                        continue;
                    }

                    record.Started(result.Partition.Value, result.Offset.Value, result.Message.Timestamp.UnixTimestampMs);
                    consumer.StoreOffset(result);
                }

                consumer.Close();
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        await assigned.Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        var produced = await Task.Run(() => Produce(topic, PartitionsFor(messages), messages, rate)).ConfigureAwait(false);
        await SettleAsync(record, commits).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await consuming.ConfigureAwait(false);
        return record.Result($"raw loop {round}", produced, commits);
    }

    /// <summary>Waits until every message was committed (figures of what was committed by then), or, without commits, started.</summary>
    private static Task SettleAsync(LatencyRecord record, bool commits) =>
        commits ? Task.WhenAny(record.AllCommitted, Task.Delay(CommitWait)) : Task.WhenAny(record.AllStarted, Task.Delay(StartWait));

    /// <summary>
    /// Writes <paramref name="messages"/> messages at <paramref name="rate"/> a second (whatever is
    /// due each millisecond), after a pause that lets the consumer's first fetch reach the broker.
    /// Returns the rate achieved.
    /// </summary>
    private double Produce(string topic, int partitions, int messages, double rate)
    {
        Thread.Sleep(1_000);
        var config = new ProducerConfig
        {
            BootstrapServers = _cluster.BootstrapServers,
            LingerMs = 1,
            QueueBufferingMaxMessages = 1_000_000,
            Acks = Acks.Leader,
        };
        var keys = Enumerable.Range(0, _settings.DistinctKeys).Select(k => Encoding.UTF8.GetBytes($"key-{k}")).ToArray();
        var value = new byte[_settings.MessageBytes];
        Random.Shared.NextBytes(value);
        using var producer = new ProducerBuilder<byte[], byte[]>(config).Build();
        var started = Stopwatch.GetTimestamp();
        var sent = 0;
        while (sent < messages)
        {
            var due = Math.Min(messages, (int)(Stopwatch.GetElapsedTime(started).TotalSeconds * rate));
            for (; sent < due; sent++)
            {
                var key = sent % keys.Length;
                producer.Produce(new TopicPartition(topic, key % partitions), new Message<byte[], byte[]> { Key = keys[key], Value = value });
            }

            Thread.Sleep(1);
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        producer.Flush();
        return messages / elapsed.TotalSeconds;
    }

    private sealed class Observer(LatencyRecord record) : IProcessorObserver
    {
        private readonly TaskCompletionSource _assigned = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Assigned => _assigned.Task;

        public void OnPartitionsAssigned(IReadOnlyList<TopicPartition> partitions) => _assigned.TrySetResult();

        public void OnCommitted(IReadOnlyList<TopicPartitionOffset> offsets) => record.Committed(offsets);
    }
}

/// <summary>One latency round's figures, in milliseconds (commit figures NaN when the round did not wait for commits).</summary>
internal sealed record LatencyResult(string Consumer, double ProducedPerSecond, int Counted, double StartP50, double StartP99, double CommitP50, double CommitP99);

/// <summary>
/// Per partition, the timestamp of every handled message by offset; a commit turns those below
/// its offset into commit latencies. Messages whose timestamp falls in the first
/// half second of producing are not counted (the consumer's first fetches, the JIT).
/// </summary>
internal sealed class LatencyRecord
{
    /// <summary>The first span of producing whose messages are not counted.</summary>
    public static readonly TimeSpan Warmup = TimeSpan.FromMilliseconds(500);

    private readonly long[][] _timestamps;
    private readonly long[] _committedUpTo;
    private readonly double[] _start;
    private readonly double[] _commit;
    private readonly int _messages;
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _allCommitted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _allStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _started;
    private int _seen;
    private int _committed;
    private long _countFrom = long.MaxValue;

    public LatencyRecord(int partitions, int messages)
    {
        _messages = messages;
        var perPartition = (messages / partitions * 6 / 5) + 100; // keys spread unevenly: some partitions get a few more
        _timestamps = [.. Enumerable.Range(0, partitions).Select(_ => Enumerable.Repeat(-1L, perPartition).ToArray())];
        _committedUpTo = new long[partitions];
        _start = new double[messages];
        _commit = new double[messages];
    }

    public Task AllCommitted => _allCommitted.Task;

    /// <summary>Completes once every produced message's handler started (counted or not).</summary>
    public Task AllStarted => _allStarted.Task;

    public void Started(int partition, long offset, long timestampMs)
    {
        // Fractions of a millisecond: the timestamp is whole milliseconds, so each figure is late
        // by under 1 ms, the same for both consumers, instead of rounding a 1.9 ms wait to 1.
        var now = NowMs();
        if (_countFrom == long.MaxValue)
        {
            Interlocked.CompareExchange(ref _countFrom, timestampMs + (long)Warmup.TotalMilliseconds, long.MaxValue);
        }

        Volatile.Write(ref _timestamps[partition][offset], timestampMs);
        if (timestampMs >= Volatile.Read(ref _countFrom))
        {
            _start[Interlocked.Increment(ref _started) - 1] = now - timestampMs;
        }

        if (Interlocked.Increment(ref _seen) >= _messages)
        {
            _allStarted.TrySetResult();
        }
    }

    public void Committed(IEnumerable<TopicPartitionOffset> offsets)
    {
        var now = NowMs();
        lock (_lock)
        {
            foreach (var offset in offsets)
            {
                var partition = offset.Partition.Value;
                var timestamps = _timestamps[partition];
                for (var o = _committedUpTo[partition]; o < Math.Min(offset.Offset.Value, timestamps.Length); o++)
                {
                    var timestamp = Volatile.Read(ref timestamps[o]);
                    if (timestamp >= Volatile.Read(ref _countFrom))
                    {
                        _commit[_committed] = now - timestamp;
                    }

                    _committed++;
                }

                _committedUpTo[partition] = Math.Max(_committedUpTo[partition], offset.Offset.Value);
            }

            if (_committed >= _messages)
            {
                _allCommitted.TrySetResult();
            }
        }
    }

    /// <summary>The round's figures; commit latency only when the round waited for every commit (<paramref name="commits"/>), not just the stop's.</summary>
    public LatencyResult Result(string consumer, double producedPerSecond, bool commits)
    {
        lock (_lock)
        {
            var start = _start.AsSpan(0, Volatile.Read(ref _started)).ToArray();
            var commit = _commit.AsSpan(0, Math.Min(_committed, _commit.Length)).ToArray().Where(c => c > 0).ToArray();
            return commits
                ? new LatencyResult(consumer, producedPerSecond, start.Length, Percentile(start, 0.5), Percentile(start, 0.99), Percentile(commit, 0.5), Percentile(commit, 0.99))
                : new LatencyResult(consumer, producedPerSecond, start.Length, Percentile(start, 0.5), Percentile(start, 0.99), double.NaN, double.NaN);
        }
    }

    private static double NowMs() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / (double)TimeSpan.TicksPerMillisecond;

    private static double Percentile(double[] values, double p)
    {
        if (values.Length == 0)
        {
            return double.NaN;
        }

        Array.Sort(values);
        return values[Math.Min(values.Length - 1, (int)(p * values.Length))];
    }
}

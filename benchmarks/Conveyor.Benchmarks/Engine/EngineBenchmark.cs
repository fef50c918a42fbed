using System.Diagnostics;
using Conveyor.Processing;
using Conveyor.Testing;

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// <c>engine [--quick]</c>: the processing engine against plain Confluent.Kafka loops on the
/// embedded broker, all figures from one run. Prints a table and, last, one JSON line.
/// </summary>
internal static partial class EngineBenchmark
{
    private static readonly string[] Scenarios = ["noop", "deep", "forward", "io", "fair", "latency", "scale", "rss"];

    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var rest = args.Where(a => a != "--quick").ToList();
        var only = rest is ["--only", var scenario] && Scenarios.Contains(scenario) ? scenario : null;
        if (rest.Count > 0 && only is null)
        {
            await Console.Error.WriteLineAsync($"usage: engine [--quick] [--only {string.Join("|", Scenarios)}]  (--only runs one scenario, e.g. under a profiler; forward needs the no-op backlog and runs its rounds too)").ConfigureAwait(false);
            return 2;
        }

        bool Runs(string scenario) => only is null || only == scenario || (only == "forward" && scenario == "noop");
        var settings = quick ? BenchmarkSettings.QuickRun : BenchmarkSettings.Full;
        var started = Stopwatch.GetTimestamp();
        var report = new EngineReport { IoConcurrency = settings.IoConcurrency };
        await using var cluster = EmbeddedKafkaCluster.Start();
        var client = BenchmarkSettings.Client(cluster.BootstrapServers);
        var shared = RawLoopRunner.Config(client, "group", "topic")
            .Where(p => p.Key is not ("bootstrap.servers" or "group.id" or "enable.auto.commit" or "enable.auto.offset.store"));
        Log($"embedded broker at {cluster.BootstrapServers}; every consumer uses {string.Join(", ", shared.Select(p => $"{p.Key}={p.Value}"))}; "
            + "raw loops store offsets for librdkafka's auto-commit, the engine commits itself");
        var producer = new BacklogProducer(cluster, settings);
        var raw = new RawLoopRunner(client);
        var engine = new EngineRunner(client);

        var noop = Runs("noop") ? await RunNoopAsync(settings, producer, raw, engine, report).ConfigureAwait(false) : null;
        if (Runs("deep"))
        {
            await RunDeepAsync(settings, report).ConfigureAwait(false);
        }

        if (Runs("forward"))
        {
            await RunForwardingAsync(settings, noop!, new ForwardingRunner(cluster, client), new ProducerOnlyRunner(cluster, client), report).ConfigureAwait(false);
        }

        if (Runs("io"))
        {
            await RunIoAsync(settings, producer, raw, engine, report).ConfigureAwait(false);
        }

        if (Runs("fair"))
        {
            await RunFairnessAsync(settings, producer, new FairnessRunner(client), report).ConfigureAwait(false);
        }

        if (Runs("latency"))
        {
            await RunLatencyAsync(settings, producer, raw, new LatencyRunner(cluster, client, settings), report).ConfigureAwait(false);
        }

        if (Runs("scale"))
        {
            await RunScaleAsync(settings, cluster, raw, engine, report).ConfigureAwait(false);
        }

        if (Runs("rss"))
        {
            await RunRssAsync(settings, producer, cluster.BootstrapServers, report).ConfigureAwait(false);
        }

        report.Print(Console.Out, report.Result(settings.Quick, Stopwatch.GetElapsedTime(started)));
        return 0;
    }

    private static async Task<Backlog> RunNoopAsync(BenchmarkSettings settings, BacklogProducer producer, RawLoopRunner raw, EngineRunner engine, EngineReport report)
    {
        var backlog = producer.Produce("noop", settings.NoopPartitions, settings.NoopMessages);
        Log($"no-op: {backlog.Messages:N0} messages in {backlog.Partitions} partitions, warm-up pairs until the JIT settled, then {settings.NoopRounds} rounds");

        // Not counted: whole rounds of each until tiered JIT (with dynamic PGO) has recompiled the
        // hot paths of both before anything is timed; shorter warm-ups left the first rounds slower.
        Log($"no-op: {await WarmUp.RunAsync(backlog, raw, engine).ConfigureAwait(false)}");
        await RunRoundsAsync("no-op", settings.NoopRounds, backlog, raw, engine, report.Noop, report).ConfigureAwait(false);
        return backlog;
    }

    /// <summary>
    /// The layout users have: a few deep partitions led by several brokers, where a partition's
    /// backlog far exceeds its buffer share. Raw loop (engine settings) and engine alternate; the
    /// raw loop with librdkafka's defaults runs once, to show what the engine's settings are worth.
    /// </summary>
    private static async Task RunDeepAsync(BenchmarkSettings settings, EngineReport report)
    {
        await using var cluster = EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions { Brokers = settings.DeepBrokers });
        var client = BenchmarkSettings.Client(cluster.BootstrapServers);
        var backlog = new BacklogProducer(cluster, settings).Produce("deep", settings.DeepPartitions, settings.DeepMessages);
        Log($"deep: {backlog.Messages:N0} messages in {backlog.Partitions} partitions on {settings.DeepBrokers} brokers, {settings.DeepRounds} rounds");
        var raw = new RawLoopRunner(client);
        var engine = new EngineRunner(client);
        report.DeepRawDefault = await raw.RunAsync("deep raw loop, librdkafka defaults", backlog, backlog.Messages, librdkafkaDefaults: true).ConfigureAwait(false);
        report.Add(report.DeepRawDefault, "consume + StoreOffset with librdkafka's own consumer defaults");
        await RunRoundsAsync("deep", settings.DeepRounds, backlog, raw, engine, report.Deep, report).ConfigureAwait(false);
    }

    /// <summary>
    /// Alternates the raw loop and the engine over the whole backlog until <paramref name="rounds"/>
    /// pairs counted. A pair in which the JIT was still compiling for more than 5 % of either
    /// round's time (<see cref="Throughput.JitSettled"/>) is logged and run again, at most
    /// <paramref name="rounds"/> times, then counted anyway: each round builds a new processor, so
    /// code that runs a few times per processor (its start, its commits) is recompiled after a few
    /// dozen rounds, in the background, charged to whatever round runs then.
    /// </summary>
    private static async Task RunRoundsAsync(
        string layout, int rounds, Backlog backlog, RawLoopRunner raw, EngineRunner engine, RoundSeries series, EngineReport report, Action? handled = null)
    {
        var counted = 0;
        for (var pair = 1; counted < rounds; pair++)
        {
            var probeRaw = ThreadCpu.Enabled ? MachineProbe.Line() : "";
            var baseline = await raw.RunAsync($"{layout} raw loop #{pair}", backlog, backlog.Messages).ConfigureAwait(false);
            var probeEngine = ThreadCpu.Enabled ? MachineProbe.Line() : "";
            var measured = await engine.RunAsync($"{layout} engine #{pair}", backlog, backlog.Messages, handled: handled).ConfigureAwait(false);
            var counts = (baseline.JitSettled && measured.JitSettled) || pair - counted > rounds;
            Log($"{layout} pair {pair}: raw {baseline.PerSecond:N0} msg/s, engine {measured.PerSecond:N0} msg/s, {measured.Pauses} pauses; "
                + $"CPU {baseline.CpuMicrosecondsPerMessage:F2} and {measured.CpuMicrosecondsPerMessage:F2} µs/msg, JIT {baseline.Jit.TotalMilliseconds:F0} and {measured.Jit.TotalMilliseconds:F0} ms, "
                + $"GC paused {baseline.GcPaused.TotalMilliseconds:F0} and {measured.GcPaused.TotalMilliseconds:F0} ms, allocated {baseline.AllocatedBytesPerMessage:F0} and {measured.AllocatedBytesPerMessage:F0} B/msg"
                + (counts ? "" : "; not counted: the JIT was still compiling")
                + $"; steady middle {Steady(baseline)} and {Steady(measured)}"
                + (baseline.Threads is null ? "" : $"; {probeRaw} and {probeEngine}; by thread (µs each), raw: {baseline.Threads}; engine: {measured.Threads}"));
            if (!counts)
            {
                continue;
            }

            counted++;
            report.Add(baseline, "consume + StoreOffset");
            report.Add(measured, $"KafkaProcessor, Key ordering, MaxConcurrency 64; {measured.Pauses} partition pauses");
            series.Add(baseline, measured);
        }
    }

    private static async Task RunIoAsync(BenchmarkSettings settings, BacklogProducer producer, RawLoopRunner raw, EngineRunner engine, EngineReport report)
    {
        var backlog = producer.Produce("io", settings.IoPartitions, settings.IoKeyMessages);
        var delay = settings.IoDelayMilliseconds;
        Log($"I/O: {backlog.Messages:N0} messages in {backlog.Partitions} partitions, {settings.DistinctKeys:N0} keys, handler await Task.Delay({delay})");

        var (calibration, calibratedMean) = await DelayHandler.CalibrateAsync(delay, settings.IoConcurrency, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        report.Add(calibration, $"{settings.IoConcurrency} loops of Task.Delay({delay}) alone: mean {calibratedMean.TotalMilliseconds:F2} ms");
        report.CalibratedHandlerMean = calibratedMean;

        var keyHandler = new DelayHandler(delay);
        report.IoKey = await engine.RunAsync("I/O engine, Key ordering", backlog, settings.IoKeyMessages, OrderingMode.Key, settings.IoConcurrency, keyHandler.HandleAsync)
            .ConfigureAwait(false);
        report.HandlerMean = keyHandler.Mean;
        report.Add(report.IoKey, $"MaxConcurrency {settings.IoConcurrency}; handler mean {keyHandler.Mean.TotalMilliseconds:F2} ms in the run; ideal {settings.IoConcurrency / calibratedMean.TotalSeconds:N0} msg/s (calibrated mean)");
        Log($"I/O Key: {report.IoKey.PerSecond:N0} msg/s");

        var partitionHandler = new DelayHandler(delay);
        report.IoPartition = await engine.RunAsync("I/O engine, Partition ordering", backlog, settings.IoPartitionMessages, OrderingMode.Partition, settings.IoConcurrency, partitionHandler.HandleAsync)
            .ConfigureAwait(false);
        report.Add(report.IoPartition, $"first messages of the backlog; at most {backlog.Partitions} at once; handler mean {partitionHandler.Mean.TotalMilliseconds:F2} ms");
        Log($"I/O Partition: {report.IoPartition.PerSecond:N0} msg/s");

        var sequentialHandler = new DelayHandler(delay);
        report.IoSequential = await raw.RunAsync("I/O one at a time (tutorial loop)", backlog, settings.IoSequentialMessages, () => sequentialHandler.HandleAsync())
            .ConfigureAwait(false);
        report.Add(report.IoSequential, $"first messages of the backlog; consume, handle, StoreOffset; handler mean {sequentialHandler.Mean.TotalMilliseconds:F2} ms");
        Log($"I/O sequential: {report.IoSequential.PerSecond:N1} msg/s");
    }

    private static async Task RunFairnessAsync(BenchmarkSettings settings, BacklogProducer producer, FairnessRunner fairness, EngineReport report)
    {
        var backlog = producer.Produce("fair", settings.FairPartitions, settings.FairMessages, largeBatches: true);
        Log($"fairness: {backlog.Messages:N0} messages in {backlog.Partitions} partitions, produced before consuming, fetched with "
            + $"{string.Join(", ", FairnessRunner.FetchSizes.Select(p => $"{p.Key}={p.Value}"))}; handler await Task.Delay({settings.FairDelayMilliseconds}), MaxConcurrency {FairnessRunner.Concurrency}");
        report.FairFetchRunMean = fairness.FetchRunMean(backlog);
        Log($"fairness: a plain consumer with these settings gets {report.FairFetchRunMean:N0} messages of one partition in a row on average");
        var result = await fairness.RunAsync(backlog, settings.DistinctKeys, settings.FairDelayMilliseconds).ConfigureAwait(false);
        report.Fair = result;
        report.FairRun = new Throughput("fairness engine, 1 ms handler", backlog.Messages, result.Elapsed, result.Cpu);
        report.Add(report.FairRun,
            $"MaxConcurrency {FairnessRunner.Concurrency}; handled at half time {string.Join("/", result.AtHalf)}; {result.Pauses} pauses");
        Log($"fairness: at half time handled {string.Join(", ", result.AtHalf.Select((h, p) => $"p{p} {h}"))}: fairness {result.Fairness:F3}");
        Log($"fairness: first message from the start, ms: {string.Join(", ", result.FirstMessageMs.Select((t, p) => $"p{p} {t:F0}"))}; worst over mean {result.FirstWorstOverMean:F2}; "
            + $"{result.Pauses} pauses; handler mean {result.HandlerMean.TotalMilliseconds:F2} ms");
    }

    private static async Task RunRssAsync(BenchmarkSettings settings, BacklogProducer producer, string bootstrapServers, EngineReport report)
    {
        var small = producer.Produce("rss-small", settings.RssPartitions, settings.RssSmallMessages);
        var large = producer.Produce("rss-large", settings.RssPartitions, settings.RssLargeMessages);
        Log($"RSS: backlogs of {small.Messages:N0} and {large.Messages:N0} messages in {settings.RssPartitions} partitions, each consumed by its own process");
        report.RssSmall = await RssProbe.MeasureAsync(bootstrapServers, small).ConfigureAwait(false);
        report.Add("RSS engine, small backlog", report.RssSmall);
        report.RssLarge = await RssProbe.MeasureAsync(bootstrapServers, large).ConfigureAwait(false);
        report.Add("RSS engine, large backlog", report.RssLarge);
        Log($"RSS engine: {report.RssSmall.PeakRssMib:F1} MiB and {report.RssLarge.PeakRssMib:F1} MiB");

        // The same for the raw loop: how much of the growth is the engine's, how much the runtime's and librdkafka's.
        report.RssRawSmall = await RssProbe.MeasureAsync(bootstrapServers, small, raw: true).ConfigureAwait(false);
        report.Add("RSS raw loop, small backlog", report.RssRawSmall);
        report.RssRawLarge = await RssProbe.MeasureAsync(bootstrapServers, large, raw: true).ConfigureAwait(false);
        report.Add("RSS raw loop, large backlog", report.RssRawLarge);
        Log($"RSS raw loop: {report.RssRawSmall.PeakRssMib:F1} MiB and {report.RssRawLarge.PeakRssMib:F1} MiB");
    }

    /// <summary>
    /// Scale: the same volume with 100,000 distinct keys in 6 and in 1,000 partitions, raw loop and
    /// engine alternating on each; the managed heap (after a full collection) before the first
    /// 1,000-partition engine round and while its last round's processor still runs with every
    /// message handled: what a processor keeps per key or partition shows there.
    /// </summary>
    private static async Task RunScaleAsync(BenchmarkSettings settings, EmbeddedKafkaCluster cluster, RawLoopRunner raw, EngineRunner engine, EngineReport report)
    {
        var producer = new BacklogProducer(cluster, settings with { DistinctKeys = settings.ScaleKeys });
        var few = producer.Produce("scale-6", 6, settings.ScaleMessagesFew);
        var many = producer.Produce("scale-many", settings.ScalePartitions, settings.ScaleMessages);
        Log($"scale: {settings.ScaleKeys:N0} keys, {settings.ScaleMessagesFew:N0} messages in 6 partitions and {settings.ScaleMessages:N0} in {settings.ScalePartitions:N0}, {settings.ScaleRounds} rounds each");
        Log($"scale, 6 partitions: {await WarmUp.RunAsync(few, raw, engine).ConfigureAwait(false)}");
        await RunRoundsAsync("scale 6 partitions", settings.ScaleRounds, few, raw, engine, report.ScaleFew, report).ConfigureAwait(false);

        // Assigning 1,000 partitions runs code the 6-partition rounds hardly did: warm it up too.
        Log($"scale, {settings.ScalePartitions:N0} partitions: {await WarmUp.RunAsync(many, raw, engine).ConfigureAwait(false)}");
        report.ScaleHeapBefore = Heap();
        await RunRoundsAsync($"scale {settings.ScalePartitions} partitions", settings.ScaleRounds, many, raw, engine, report.ScaleMany, report, handled: () => report.ScaleHeapAfter = Heap())
            .ConfigureAwait(false);

        Log($"scale: managed heap {report.ScaleHeapBefore / 1048576.0:F1} MiB before, {report.ScaleHeapAfter / 1048576.0:F1} MiB with the last processor running after its backlog");
    }

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>
    /// Latency at half the raw loop's maximum rate (its best no-op round, or one raw round over a
    /// backlog of its own when the no-op scenario did not run), at most
    /// <see cref="BenchmarkSettings.LatencyMaxRate"/>: a warm-up pair, then rounds alternating the
    /// raw loop and the engine with its defaults, each behind a paced producer on a topic of its
    /// own, long enough for <see cref="BenchmarkSettings.LatencyMinSamples"/> counted messages.
    /// </summary>
    private static async Task RunLatencyAsync(BenchmarkSettings settings, BacklogProducer producer, RawLoopRunner raw, LatencyRunner latency, EngineReport report)
    {
        var rawMax = report.Noop.Raw?.PerSecond;
        if (rawMax is null)
        {
            var backlog = producer.Produce("latency-max", settings.NoopPartitions, settings.LatencyCalibrationMessages);
            rawMax = (await raw.RunAsync("latency: raw loop maximum", backlog, backlog.Messages).ConfigureAwait(false)).PerSecond;
        }

        var rate = Math.Min(rawMax.Value / 2, settings.LatencyMaxRate);
        var duration = TimeSpan.FromSeconds(Math.Max(settings.LatencySeconds, LatencyRecord.Warmup.TotalSeconds + (settings.LatencyMinSamples / rate)));
        var series = report.Latency;
        series.Rate = rate;
        series.RoundSeconds = duration.TotalSeconds;
        Log($"latency: {rate:N0} msg/s (half the raw loop's {rawMax:N0}, at most {settings.LatencyMaxRate:N0}) for {duration.TotalSeconds:F1} s a round, "
            + $"100-byte messages, {LatencyRunner.PartitionsFor((int)(rate * duration.TotalSeconds))} partitions; a warm-up pair, then {settings.LatencyRounds} rounds alternating");
        var warmUp = TimeSpan.FromSeconds(1);
        await latency.RunRawAsync("warm-up", rate, warmUp, commits: false).ConfigureAwait(false);
        await latency.RunEngineAsync("warm-up", rate, warmUp, commits: false).ConfigureAwait(false);
        for (var round = 1; round <= settings.LatencyRounds; round++)
        {
            var commits = round == settings.LatencyRounds;
            var rawRound = await latency.RunRawAsync($"#{round}", rate, duration, commits).ConfigureAwait(false);
            report.Add(rawRound);
            var engineRound = await latency.RunEngineAsync($"#{round}", rate, duration, commits).ConfigureAwait(false);
            report.Add(engineRound);
            series.Add(rawRound, engineRound, commits);
            Log(FormattableString.Invariant($"latency round {round}: handler start p50/p99 raw {rawRound.StartP50:F1}/{rawRound.StartP99:F1} ms, engine {engineRound.StartP50:F1}/{engineRound.StartP99:F1} ms ({rawRound.Counted:N0} and {engineRound.Counted:N0} counted)"));
        }
    }

    /// <summary>Garbage collections by generation and their pause time, to see what a scenario costs the runtime.</summary>
    private readonly record struct GcCounts(int Gen0, int Gen1, int Gen2, TimeSpan Paused, long Allocated)
    {
        public static GcCounts Now() => new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());

        public static GcCounts operator -(GcCounts a, GcCounts b) => new(a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2, a.Paused - b.Paused, a.Allocated - b.Allocated);

        public override string ToString() =>
            $"GCs gen0 {Gen0}, gen1 {Gen1}, gen2 {Gen2}, paused {Paused.TotalMilliseconds:F0} ms, allocated {Allocated / 1024.0 / 1024:F0} MiB";
    }

    /// <summary>With <c>CONVEYOR_ALLOC_TYPES=1</c>: the types a span allocated most, in bytes per input (whole round, start and stop included).</summary>
    private static void LogTypes(string span, IReadOnlyList<(string Type, double BytesPerInput)>? types)
    {
        if (types is not null)
        {
            Log($"{span}: allocated {types.Sum(t => t.BytesPerInput):N0} B per input in the top types: "
                + string.Join(", ", types.Select(t => $"{t.Type} {t.BytesPerInput:N0}")));
        }
    }

    private static void Log(string line) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");
}

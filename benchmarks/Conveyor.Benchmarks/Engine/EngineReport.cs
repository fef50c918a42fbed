using System.Globalization;
using System.Text.Json;

namespace Conveyor.Benchmarks.Engine;

/// <summary>Collects the measurements of one run; prints a table, the ratios against their targets and, last, one JSON line.</summary>
internal sealed class EngineReport
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly List<(string Scenario, string Messages, string Seconds, string Rate, string Cpu, string Note)> _rows = [];

    /// <summary>The no-op rounds on the wide layout (24 partitions, 1 broker).</summary>
    public RoundSeries Noop { get; } = new();

    /// <summary>The no-op rounds on the deep layout (6 partitions, 3 brokers).</summary>
    public RoundSeries Deep { get; } = new();

    /// <summary>The raw loop with librdkafka's own consumer defaults on the deep layout.</summary>
    public Throughput? DeepRawDefault { get; set; }

    /// <summary>The forwarding rounds (inputs finished per second).</summary>
    public List<Throughput> Forward { get; } = [];

    /// <summary>The forwarder's own output sender alone writing the same pairs of records, in rounds alternating with the forwarding rounds: the forwarder's ceiling.</summary>
    public List<Throughput> ProducerOnly { get; } = [];

    /// <summary>
    /// The same sender fed at each forwarding round's own rate (inputs per second as pairs per
    /// second), one such round after each pair of rounds: what producing costs at the rate the
    /// forwarder runs, where the producer alone above runs as fast as it can (bigger batches, less
    /// CPU per record).
    /// </summary>
    public List<Throughput> ProducerPaced { get; } = [];

    /// <summary>
    /// CPU microseconds per input that hearing the forwarding rounds' event costs the thread telling
    /// it (<see cref="ForwardingRunner.ObserverMicrosecondsPerInput"/>), measured apart.
    /// </summary>
    public double? ForwardObserverCpu { get; set; }

    /// <summary>The seed's one-at-a-time forwarding loop.</summary>
    public Throughput? ForwardSequential { get; set; }

    public TimeSpan HandlerMean { get; set; }

    /// <summary>The handler's mean duration in the engine-free calibration (concurrent loops of it alone): the ideal's base.</summary>
    public TimeSpan CalibratedHandlerMean { get; set; }

    public int IoConcurrency { get; set; }

    public Throughput? IoKey { get; set; }

    public Throughput? IoPartition { get; set; }

    public Throughput? IoSequential { get; set; }

    /// <summary>The fairness layout's run, and the mean run of one partition's messages a plain consumer got in a row.</summary>
    public FairnessResult? Fair { get; set; }

    public double? FairFetchRunMean { get; set; }

    public Throughput? FairRun { get; set; }

    /// <summary>Scale: the no-op rounds with 100,000 keys in 6 partitions and in 1,000; the managed heap before and after (bytes).</summary>
    public RoundSeries ScaleFew { get; } = new();

    public RoundSeries ScaleMany { get; } = new();

    public long? ScaleHeapBefore { get; set; }

    public long? ScaleHeapAfter { get; set; }

    /// <summary>Latency: the produce rate asked for, and each consumer's rounds.</summary>
    public LatencySeries Latency { get; } = new();

    public RssResult? RssLarge { get; set; }

    public RssResult? RssSmall { get; set; }

    public RssResult? RssRawLarge { get; set; }

    public RssResult? RssRawSmall { get; set; }

    public void Add(Throughput throughput, string note = "") =>
        _rows.Add((throughput.Scenario, Format(throughput.Messages), throughput.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture), Format(throughput.PerSecond),
            throughput.CpuMicrosecondsPerMessage.ToString("F1", CultureInfo.InvariantCulture), note));

    public void Add(string scenario, RssResult rss) =>
        _rows.Add((scenario, Format(rss.Messages), "", Format(rss.MessagesPerSecond), "", $"peak RSS {rss.PeakRssMib:F1} MiB (VmHWM, own process)"));


    public void Add(LatencyResult latency) =>
        _rows.Add(($"latency, {latency.Consumer}", Format(latency.Counted), "", Format(latency.ProducedPerSecond), "",
            double.IsNaN(latency.CommitP50)
                ? FormattableString.Invariant($"ms from the record's timestamp: handler start p50 {latency.StartP50:F1}, p99 {latency.StartP99:F1}")
                : FormattableString.Invariant($"ms from the record's timestamp: handler start p50 {latency.StartP50:F1}, p99 {latency.StartP99:F1}; commit p50 {latency.CommitP50:F0}, p99 {latency.CommitP99:F0}")));

    public EngineBenchmarkResult Result(bool quick, TimeSpan duration)
    {
        var forward = Median([.. Forward.Select(f => f.PerSecond)]);
        var producerOnly = Median([.. ProducerOnly.Select(p => p.PerSecond)]);
        var producerOnlyCpu = Median([.. ProducerOnly.Select(p => p.CpuMicrosecondsPerMessage)]);
        // The ideal comes from the engine-free calibration: the handler's mean inside the engine
        // run stretches when the engine starves the thread pool, which would hide that cost.
        var ideal = CalibratedHandlerMean > TimeSpan.Zero ? IoConcurrency / CalibratedHandlerMean.TotalSeconds : double.NaN;
        var noopCpu = Median(Noop.EngineCpu);
        var rawCpu = Median(Noop.RawCpu);
        var forwardCpu = Median([.. Forward.Select(f => f.CpuMicrosecondsPerMessage)]);
        List<double> forwardCpuRatios = [.. Forward.Zip(ProducerOnly, (f, p) => f.CpuMicrosecondsPerMessage / p.CpuMicrosecondsPerMessage)];
        List<double> forwardPacedRatios = [.. Forward.Zip(ProducerPaced, (f, p) => f.CpuMicrosecondsPerMessage / p.CpuMicrosecondsPerMessage)];
        // What forwarding costs beyond consuming (the no-op engine's CPU per message) and producing
        // the pair at the forwarding round's own rate (the paced producer of the same round).
        List<double> forwardOwn = [.. Forward.Zip(ProducerPaced, (f, p) => f.CpuMicrosecondsPerMessage - p.CpuMicrosecondsPerMessage - (noopCpu ?? double.NaN))];
        return new EngineBenchmarkResult(
            NoopRatio: Round(Median(Noop.Ratios), 3),
            NoopRatioBest: Ratio(Noop.Engine?.PerSecond, Noop.Raw?.PerSecond),
            NoopRatioDeep: Round(Median(Deep.Ratios), 3),
            PausesPer100k: Noop.PausesPer100k,
            PausesPer100kDeep: Deep.PausesPer100k,
            Forward2OutputsRatio: Ratio(forward, Median(Noop.EngineRates)),
            ForwardVsSequential: Ratio(forward, ForwardSequential?.PerSecond),
            ForwardVsProducerOnly: Ratio(forward, producerOnly),
            ForwardCeilingRatio: Ratio(producerOnly, Median(Noop.EngineRates)),
            ForwardCpuCeilingRatio: Ratio(noopCpu, noopCpu + producerOnlyCpu),
            ForwardAllocBytesPerInput: Round(Median([.. Forward.Select(f => f.AllocatedBytesPerMessage)]), 0),
            ForwardObserverAllocBytesPerInput: Round(Median([.. Forward.Select(f => f.ProbeBytesPerMessage)]), 0),
            ForwardCpuVsProducerOnly: Ratio(forwardCpu, producerOnlyCpu),
            ForwardCpuVsProducerOnlyPaired: Round(Median(forwardCpuRatios), 3),
            ForwardCpuVsProducerOnlyPairedMin: Round(forwardCpuRatios.DefaultIfEmpty(double.NaN).Min(), 3),
            ForwardCpuVsProducerOnlyPairedMax: Round(forwardCpuRatios.DefaultIfEmpty(double.NaN).Max(), 3),
            ForwardCpuEfficiency: Ratio(noopCpu + producerOnlyCpu, forwardCpu),
            IoKeyVsIdeal: Ratio(IoKey?.PerSecond, ideal),
            IoKeyVsSequential: Ratio(IoKey?.PerSecond, IoSequential?.PerSecond),
            IoPartitionVsSequential: Ratio(IoPartition?.PerSecond, IoSequential?.PerSecond),
            NoopCpuVsRaw: Ratio(noopCpu, rawCpu),
            NoopCpuVsRawPaired: Round(Median(Noop.CpuRatios), 3),
            NoopCpuVsRawPairedMin: Round(Noop.CpuRatios.DefaultIfEmpty(double.NaN).Min(), 3),
            NoopCpuVsRawPairedMax: Round(Noop.CpuRatios.DefaultIfEmpty(double.NaN).Max(), 3),
            PartitionFairness: Round(Fair?.Fairness, 3),
            FirstMessageWorstOverMean: Round(Fair?.FirstWorstOverMean, 2),
            LatencyP99Ratio: Ratio(Latency.EngineStartP99, Latency.RawStartP99),
            ScaleNoopRatio: Round(Median(ScaleMany.Ratios), 3),
            RssBacklogRatio: Ratio(RssLarge?.PeakRssKib, RssSmall?.PeakRssKib),
            RssBacklogRatioRaw: Ratio(RssRawLarge?.PeakRssKib, RssRawSmall?.PeakRssKib),
            NoopRawMsgPerS: Round(Noop.Raw?.PerSecond, 0),
            NoopEngineMsgPerS: Round(Noop.Engine?.PerSecond, 0),
            DeepRawMsgPerS: Round(Deep.Raw?.PerSecond, 0),
            DeepEngineMsgPerS: Round(Deep.Engine?.PerSecond, 0),
            RawDefaultMsgPerS: Round(DeepRawDefault?.PerSecond, 0),
            Forward2OutputsMsgPerS: Round(forward, 0),
            ForwardSequentialMsgPerS: Round(ForwardSequential?.PerSecond, 1),
            ProducerOnlyPairsPerS: Round(producerOnly, 0),
            ForwardGcPauseMs: Round(Median([.. Forward.Select(f => f.GcPaused.TotalMilliseconds)]), 1),
            ForwardGcPauseShare: Round(Median([.. Forward.Select(f => f.GcPaused / f.Elapsed)]), 3),
            ForwardCpuUsPerInput: Round(forwardCpu, 2),
            ProducerOnlyCpuUsPerPair: Round(producerOnlyCpu, 2),
            ProducerPacedCpuUsPerPair: Round(Median([.. ProducerPaced.Select(p => p.CpuMicrosecondsPerMessage)]), 2),
            ForwardCpuVsProducerPacedPaired: Round(Median(forwardPacedRatios), 3),
            ForwardOwnCpuUsPerInput: Round(Median(forwardOwn), 2),
            ForwardObserverCpuUsPerInput: Round(ForwardObserverCpu, 3),
            NoopAllocBytesPerMsg: Round(Noop.Engine?.AllocatedBytesPerMessage, 0),
            RawAllocBytesPerMsg: Round(Noop.Raw?.AllocatedBytesPerMessage, 0),
            HandlerMeanMs: Round(HandlerMean.TotalMilliseconds, 2),
            HandlerCalibratedMeanMs: Round(CalibratedHandlerMean.TotalMilliseconds, 2),
            NoopCpuUsPerMsg: Round(noopCpu, 2),
            RawCpuUsPerMsg: Round(rawCpu, 2),
            IoIdealMsgPerS: Round(ideal, 0),
            IoKeyMsgPerS: Round(IoKey?.PerSecond, 0),
            IoPartitionMsgPerS: Round(IoPartition?.PerSecond, 0),
            IoSequentialMsgPerS: Round(IoSequential?.PerSecond, 1),
            FairMsgPerS: Round(FairRun?.PerSecond, 0),
            FairFirstMessageWorstMs: Round(Fair?.FirstMessageMs.Max(), 0),
            FairPauses: Fair?.Pauses,
            FairFetchRunMean: Round(FairFetchRunMean, 0),
            LatencyRatePerS: Round(Latency.Rate, 0),
            LatencyEngineStartP50Ms: Round(Latency.EngineStartP50, 1),
            LatencyEngineStartP99Ms: Round(Latency.EngineStartP99, 1),
            LatencyEngineCommitP50Ms: Round(Latency.EngineCommits?.CommitP50, 1),
            LatencyEngineCommitP99Ms: Round(Latency.EngineCommits?.CommitP99, 1),
            LatencyRawStartP50Ms: Round(Latency.RawStartP50, 1),
            LatencyRawStartP99Ms: Round(Latency.RawStartP99, 1),
            LatencyRawCommitP50Ms: Round(Latency.RawCommits?.CommitP50, 1),
            LatencyRawCommitP99Ms: Round(Latency.RawCommits?.CommitP99, 1),
            LatencyEngineProducedPerS: Round(Latency.EngineProducedPerSecond, 0),
            LatencyRawProducedPerS: Round(Latency.RawProducedPerSecond, 0),
            LatencyP99RatioMin: Round(Latency.P99Ratios.DefaultIfEmpty(double.NaN).Min(), 3),
            LatencyP99RatioMax: Round(Latency.P99Ratios.DefaultIfEmpty(double.NaN).Max(), 3),
            LatencyRounds: Latency.Rounds > 0 ? Latency.Rounds : null,
            LatencyRoundSeconds: Round(Latency.RoundSeconds, 1),
            LatencyFewestCounted: Latency.FewestCounted,
            ScaleNoopRatio6: Round(Median(ScaleFew.Ratios), 3),
            ScaleEngineCpuUsPerMsg: Round(Median(ScaleMany.EngineCpu), 2),
            ScaleRawCpuUsPerMsg: Round(Median(ScaleMany.RawCpu), 2),
            ScaleEngineCpuUsPerMsg6: Round(Median(ScaleFew.EngineCpu), 2),
            ScaleRawCpuUsPerMsg6: Round(Median(ScaleFew.RawCpu), 2),
            ScaleHeapBeforeMib: Round(ScaleHeapBefore / 1048576.0, 1),
            ScaleHeapAfterMib: Round(ScaleHeapAfter / 1048576.0, 1),
            ScalePausesPer100k: ScaleMany.PausesPer100k,
            RssLargePeakMib: Round(RssLarge?.PeakRssMib, 1),
            RssSmallPeakMib: Round(RssSmall?.PeakRssMib, 1),
            RssRawLargePeakMib: Round(RssRawLarge?.PeakRssMib, 1),
            RssRawSmallPeakMib: Round(RssRawSmall?.PeakRssMib, 1),
            Quick: quick,
            DurationS: Round(duration.TotalSeconds, 1));
    }

    public void Print(TextWriter output, EngineBenchmarkResult result)
    {
        var widths = new[]
        {
            _rows.Max(r => r.Scenario.Length), _rows.Max(r => r.Messages.Length), _rows.Max(r => r.Seconds.Length), _rows.Max(r => r.Rate.Length), Math.Max(_rows.Max(r => r.Cpu.Length), "CPU µs/msg".Length),
        };
        output.WriteLine();
        output.WriteLine($"{"scenario".PadRight(widths[0])}  {"messages".PadLeft(widths[1])}  {"s".PadLeft(widths[2])}  {"msg/s".PadLeft(widths[3])}  {"CPU µs/msg".PadLeft(widths[4])}  note");
        foreach (var (scenario, messages, seconds, rate, cpu, note) in _rows)
        {
            output.WriteLine($"{scenario.PadRight(widths[0])}  {messages.PadLeft(widths[1])}  {seconds.PadLeft(widths[2])}  {rate.PadLeft(widths[3])}  {cpu.PadLeft(widths[4])}  {note}");
        }

        output.WriteLine();
        Target(output, "noop_ratio", result.NoopRatio, ">= 0.9", result.NoopRatio >= 0.9);
        Target(output, "noop_ratio_best", result.NoopRatioBest, "(reported)", null);
        Target(output, "noop_ratio_deep", result.NoopRatioDeep, ">= 0.9", result.NoopRatioDeep >= 0.9);
        Target(output, "pauses_per_100k", result.PausesPer100k, "(reported)", null);
        Target(output, "pauses_per_100k_deep", result.PausesPer100kDeep, "(reported)", null);
        Target(output, "forward_2_outputs_ratio", result.Forward2OutputsRatio, ">= 0.5", result.Forward2OutputsRatio >= 0.5);
        Target(output, "forward_vs_sequential", result.ForwardVsSequential, ">= 20", result.ForwardVsSequential >= 20);
        Target(output, "forward_vs_producer_only", result.ForwardVsProducerOnly, "(reported)", null);
        Target(output, "forward_ceiling_ratio", result.ForwardCeilingRatio, "(reported)", null);
        Target(output, "forward_cpu_ceiling_ratio", result.ForwardCpuCeilingRatio, "(reported)", null);
        Target(output, "forward_alloc_bytes_per_input", result.ForwardAllocBytesPerInput, "<= 1000", result.ForwardAllocBytesPerInput <= 1_000);
        Target(output, "forward_observer_alloc_bytes_per_input", result.ForwardObserverAllocBytesPerInput, "(reported)", null);
        Target(output, "forward_cpu_vs_producer_only", result.ForwardCpuVsProducerOnly, "(reported)", null);
        Target(output, "forward_cpu_vs_producer_only_paired", result.ForwardCpuVsProducerOnlyPaired, "<= 2", result.ForwardCpuVsProducerOnlyPaired <= 2);
        Target(output, "forward_cpu_vs_producer_paced_paired", result.ForwardCpuVsProducerPacedPaired, "(reported)", null);
        Target(output, "forward_own_cpu_us_per_input", result.ForwardOwnCpuUsPerInput, "(reported)", null);
        Target(output, "forward_cpu_efficiency", result.ForwardCpuEfficiency, "(reported)", null);
        Target(output, "io_key_vs_ideal", result.IoKeyVsIdeal, ">= 0.85", result.IoKeyVsIdeal >= 0.85);
        Target(output, "io_key_vs_sequential", result.IoKeyVsSequential, ">= 40", result.IoKeyVsSequential >= 40);
        Target(output, "io_partition_vs_sequential", result.IoPartitionVsSequential, "(reported)", null);
        Target(output, "noop_cpu_vs_raw", result.NoopCpuVsRaw, "(reported)", null);
        Target(output, "noop_cpu_vs_raw_paired", result.NoopCpuVsRawPaired, "<= 1.2", result.NoopCpuVsRawPaired <= 1.2);
        Target(output, "partition_fairness", result.PartitionFairness, ">= 0.8", result.PartitionFairness >= 0.8);
        Target(output, "first_message_worst_over_mean", result.FirstMessageWorstOverMean, "(reported)", null);
        Target(output, "scale_noop_ratio", result.ScaleNoopRatio, ">= 0.9", result.ScaleNoopRatio >= 0.9);
        Target(output, "latency_p99_ratio", result.LatencyP99Ratio, "<= 1.2", result.LatencyP99Ratio <= 1.2);
        Target(output, "rss_backlog_ratio", result.RssBacklogRatio, "< 1.5", result.RssBacklogRatio < 1.5);
        Target(output, "rss_backlog_ratio_raw", result.RssBacklogRatioRaw, "(reported)", null);
        output.WriteLine();
        output.WriteLine(JsonSerializer.Serialize(result, Json));
    }

    private static void Target(TextWriter output, string name, double? value, string target, bool? met) =>
        output.WriteLine($"{name,-38} {value?.ToString("F3", CultureInfo.InvariantCulture) ?? "n/a",8}  target {target,-10} {(met is null ? "" : met.Value ? "met" : "MISSED")}");

    private static double? Ratio(double? value, double? baseline) =>
        value is { } v && baseline is { } b && b > 0 && double.IsFinite(v / b) ? Math.Round(v / b, 3) : null;

    private static double? Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static double? Round(double? value, int digits) => value is { } v && double.IsFinite(v) ? Math.Round(v, digits) : null;

    private static string Format(double value) => value.ToString("N0", CultureInfo.InvariantCulture);
}

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// Alternating latency rounds, raw loop then engine: one round's p99 is decided by a handful of
/// messages, so a single collection or scheduling hiccup can double it. The figures are the
/// medians of the rounds' percentiles, and the spread of the engine ÷ raw p99 of each pair.
/// Commit latency comes from the last pair only (the raw loop's is mostly librdkafka's 5 s
/// auto-commit interval, and waiting for it makes a round three times as long).
/// </summary>
internal sealed class LatencySeries
{
    private readonly List<LatencyResult> _raw = [];
    private readonly List<LatencyResult> _engine = [];

    /// <summary>The produce rate asked for.</summary>
    public double? Rate { get; set; }

    /// <summary>Seconds each round produced for.</summary>
    public double? RoundSeconds { get; set; }

    public int Rounds => _engine.Count;

    public LatencyResult? RawCommits { get; private set; }

    public LatencyResult? EngineCommits { get; private set; }

    public void Add(LatencyResult raw, LatencyResult engine, bool commits)
    {
        _raw.Add(raw);
        _engine.Add(engine);
        if (commits)
        {
            RawCommits = raw;
            EngineCommits = engine;
        }
    }

    /// <summary>Engine p99 ÷ raw p99 of each pair.</summary>
    public IReadOnlyList<double> P99Ratios => [.. _engine.Zip(_raw, (e, r) => e.StartP99 / r.StartP99).Where(double.IsFinite)];

    public double? RawStartP50 => Median(_raw, r => r.StartP50);

    public double? RawStartP99 => Median(_raw, r => r.StartP99);

    public double? EngineStartP50 => Median(_engine, r => r.StartP50);

    public double? EngineStartP99 => Median(_engine, r => r.StartP99);

    public double? RawProducedPerSecond => Median(_raw, r => r.ProducedPerSecond);

    public double? EngineProducedPerSecond => Median(_engine, r => r.ProducedPerSecond);

    /// <summary>Messages counted in the smallest round (each round's p99 rests on a hundredth of them).</summary>
    public int? FewestCounted => _raw.Count == 0 ? null : _raw.Concat(_engine).Min(r => r.Counted);

    private static double? Median(List<LatencyResult> rounds, Func<LatencyResult, double> figure)
    {
        var values = rounds.Select(figure).Where(double.IsFinite).Order().ToList();
        return values.Count == 0 ? null
            : values.Count % 2 == 1 ? values[values.Count / 2]
            : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }
}

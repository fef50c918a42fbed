namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// Alternating raw-loop and engine rounds over one backlog: the best round of each, the ratio of
/// each round, and the engine's back-pressure pauses over all its rounds.
/// </summary>
internal sealed class RoundSeries
{
    private readonly List<double> _ratios = [];
    private readonly List<double> _engineRates = [];
    private int _pauses;
    private long _messages;

    public Throughput? Raw { get; private set; }

    public Throughput? Engine { get; private set; }

    /// <summary>The engine's msg/s of each round.</summary>
    public IReadOnlyList<double> EngineRates => _engineRates;

    /// <summary>Engine ÷ raw loop of each round.</summary>
    public IReadOnlyList<double> Ratios => _ratios;

    /// <summary>Partitions paused by back-pressure per 100,000 messages in the engine's rounds; null before any round.</summary>
    public double? PausesPer100k => _messages > 0 ? Math.Round(_pauses * 100_000.0 / _messages, 1) : null;

    /// <summary>Process CPU µs per message of each raw round and each engine round (the same prefetch settings, alternating in one run).</summary>
    public List<double> RawCpu { get; } = [];

    public List<double> EngineCpu { get; } = [];

    /// <summary>
    /// Engine ÷ raw loop process CPU per message of each pair: the two rounds run back to back, so
    /// both see the machine of the same moment (how fast this machine runs the same work swings
    /// within seconds; see docs/benchmarks.md, "Why CPU per message swings").
    /// </summary>
    public List<double> CpuRatios { get; } = [];

    public void Add(Throughput raw, Throughput engine)
    {
        _ratios.Add(engine.PerSecond / raw.PerSecond);
        RawCpu.Add(raw.CpuMicrosecondsPerMessage);
        EngineCpu.Add(engine.CpuMicrosecondsPerMessage);
        CpuRatios.Add(engine.CpuMicrosecondsPerMessage / raw.CpuMicrosecondsPerMessage);
        _engineRates.Add(engine.PerSecond);
        _pauses += engine.Pauses;
        _messages += engine.Messages;
        if (Raw is null || raw.PerSecond > Raw.PerSecond)
        {
            Raw = raw;
        }

        if (Engine is null || engine.PerSecond > Engine.PerSecond)
        {
            Engine = engine;
        }
    }
}

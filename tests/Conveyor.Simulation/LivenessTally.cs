using Conveyor.Simulation.Pipelines;

namespace Conveyor.Simulation;

/// <summary>
/// The liveness figures of a <c>--seeds</c> run: committed transactions per simulated second
/// (exactly-once runs), and how long partitions went without progress (the worst run, the mean
/// of each run's worst, and how many runs had a gap of 10 s or more).
/// </summary>
internal sealed class LivenessTally
{
    private static readonly TimeSpan LongGap = TimeSpan.FromSeconds(10);

    private long _transactions;
    private TimeSpan _simulated;
    private TimeSpan _transactionsSimulated;
    private TimeSpan _worst;
    private TimeSpan _sumOfWorst;
    private int _runs;
    private int _longGaps;
    private int _stalls;

    public void Add(SimulationResult result)
    {
        _runs++;
        _simulated += result.Simulated;
        if (result.Schedule.Pipeline.IsExactlyOnce())
        {
            _transactions += result.Transactions;
            _transactionsSimulated += result.Simulated;
        }

        _worst = result.LongestWithoutProgress > _worst ? result.LongestWithoutProgress : _worst;
        _sumOfWorst += result.LongestWithoutProgress;
        _longGaps += result.LongestWithoutProgress >= LongGap ? 1 : 0;
        _stalls += result.Kind is "stall" or "livelock" ? 1 : 0;
    }

    public string Describe()
    {
        var perSecond = _transactionsSimulated > TimeSpan.Zero ? _transactions / _transactionsSimulated.TotalSeconds : 0;
        return $"liveness: {_transactions} transactions in {_transactionsSimulated.TotalSeconds:F0} simulated s of exactly-once runs ({perSecond:F2}/s); "
            + $"longest without progress {_worst.TotalSeconds:F1} s (mean of each run's longest {(_runs > 0 ? _sumOfWorst.TotalSeconds / _runs : 0):F2} s), "
            + $"{_longGaps} runs with a gap of {LongGap.TotalSeconds:F0} s or more, {_stalls} stalled; {_simulated.TotalSeconds:F0} simulated s in all";
    }
}

namespace Conveyor.Processing.Concurrency;

/// <summary>
/// A processor's live limit on running handlers, the one owner of its value: operators and the
/// adaptive limit set it, the running engine's dispatcher enforces it (<see cref="Attach"/>). It
/// outlives runs, so a limit set before a run or between runs holds in the next. Thread-safe.
/// </summary>
internal sealed class ConcurrencyLimit : IConcurrencyControl
{
    private readonly Lock _lock = new();
    private readonly Action<int, string>? _changed;
    private Action<int>? _enforce;
    private int _limit;

    /// <param name="min">The lowest limit: <see cref="ConcurrencyOptions.Min"/> when adaptive, else 1.</param>
    /// <param name="max">The highest: <see cref="ProcessorOptions.MaxConcurrency"/>, the number of workers.</param>
    /// <param name="initial">Where it starts.</param>
    /// <param name="changed">Hears each change with its reason (the status, the metrics and the logs).</param>
    public ConcurrencyLimit(int min, int max, int initial, Action<int, string>? changed = null)
    {
        Min = Math.Max(1, min);
        Max = Math.Max(Min, max);
        _limit = Math.Clamp(initial, Min, Max);
        _changed = changed;
        Reason = "start";
    }

    /// <summary>The processor's own options: MaxConcurrency, or the adaptive range starting at its lowest.</summary>
    public static ConcurrencyLimit For(ProcessorOptions options, Action<int, string>? changed = null)
    {
        var adaptive = options.Concurrency.Adaptive;
        var min = adaptive ? options.Concurrency.Min : 1;
        return new ConcurrencyLimit(min, options.MaxConcurrency, adaptive ? min : options.MaxConcurrency, changed);
    }

    public int Min { get; }

    public int Max { get; }

    public int Limit => Volatile.Read(ref _limit);

    /// <summary>Why the limit is what it is (the last <see cref="SetLimit"/>'s reason).</summary>
    public string Reason { get; private set; }

    public void SetLimit(int limit, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        int clamped;
        lock (_lock)
        {
            clamped = Math.Clamp(limit, Min, Max);
            var same = clamped == _limit;
            Reason = reason;
            if (same)
            {
                return;
            }

            Volatile.Write(ref _limit, clamped);
            _enforce?.Invoke(clamped);
        }

        _changed?.Invoke(clamped, reason);
    }

    /// <summary>A run's dispatcher enforces the limit from now on, starting with its value now; null when the run ended.</summary>
    public void Attach(Action<int>? enforce)
    {
        lock (_lock)
        {
            _enforce = enforce;
            enforce?.Invoke(_limit);
        }
    }
}

using System.Diagnostics.Tracing;

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// Which types a span allocates, from the runtime's own allocation samples (an event about every
/// 100 KB allocated, naming the type of the object that crossed the mark): each type's share of
/// the samples is its share of the bytes. Only with <c>CONVEYOR_ALLOC_TYPES=1</c>, since listening
/// to verbose GC events costs CPU and would skew the timed figures.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const int AllocationTick = 10;
    private const long GcKeyword = 0x1;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _bytes = new(StringComparer.Ordinal);
    private bool _listening;

    public static bool Enabled => Environment.GetEnvironmentVariable("CONVEYOR_ALLOC_TYPES") == "1";

    /// <summary>Starts counting (samples before this are dropped).</summary>
    public void Start()
    {
        lock (_lock)
        {
            _bytes.Clear();
            _listening = true;
        }
    }

    /// <summary>Stops counting and returns the top types, each with its estimated bytes per input.</summary>
    public IReadOnlyList<(string Type, double BytesPerInput)> Stop(long inputs, int top = 25)
    {
        lock (_lock)
        {
            _listening = false;
            return [.. _bytes.OrderByDescending(p => p.Value).Take(top).Select(p => (p.Key, p.Value / (double)inputs))];
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventId != AllocationTick || eventData.Payload is not { } payload || eventData.PayloadNames is not { } names)
        {
            return;
        }

        var type = payload[names.IndexOf("TypeName")] as string ?? "?";
        var amount = Convert.ToInt64(payload[names.IndexOf("AllocationAmount64")], System.Globalization.CultureInfo.InvariantCulture);
        lock (_lock)
        {
            if (_listening)
            {
                _bytes[type] = _bytes.GetValueOrDefault(type) + amount;
            }
        }
    }
}

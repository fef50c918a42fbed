using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Conveyor.Diagnostics;

namespace Conveyor.IntegrationTests.Support;

/// <summary>Everything Conveyor's meter reports for one consumer group (tests run side by side, each with its own group).</summary>
internal sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly string _group;

    public MetricRecorder(string group)
    {
        _group = group;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ConveyorDiagnostics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    public ConcurrentQueue<(string Name, double Value, Dictionary<string, object?> Tags)> Measurements { get; } = new();

    public double Sum(string name) => Measurements.Where(m => m.Name == name).Sum(m => m.Value);

    public int Count(string name) => Measurements.Count(m => m.Name == name);

    /// <summary>The latest observation of a gauge per partition, collecting the gauges now.</summary>
    public Dictionary<string, double> LatestPerPartition(string name)
    {
        _listener.RecordObservableInstruments();
        return Measurements.Where(m => m.Name == name)
            .GroupBy(m => (string)m.Tags[MessagingAttributes.Partition]!)
            .ToDictionary(g => g.Key, g => g.Last().Value);
    }

    /// <summary>Polls (collecting gauges each time) until the condition holds; fails after the timeout.</summary>
    public async Task WaitFor(Func<MetricRecorder, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            _listener.RecordObservableInstruments();
            if (condition(this))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out after {timeout} waiting for {what}.");
            }

            await Task.Delay(20);
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var dictionary = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            dictionary[tag.Key] = tag.Value;
        }

        if (dictionary.TryGetValue(MessagingAttributes.ConsumerGroup, out var group) && (string?)group == _group)
        {
            Measurements.Enqueue((instrument.Name, value, dictionary));
        }
    }
}

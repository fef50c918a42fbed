using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Conveyor.Diagnostics;

namespace Conveyor.Cli.Tutorial;

/// <summary>
/// <c>consume --stats</c>: listens to Conveyor's meter (the same instruments an OpenTelemetry
/// exporter would read) and prints one summary line per interval.
/// </summary>
internal sealed class LiveStats : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, double> _totals = [];
    private readonly Dictionary<string, double> _lag = [];
    private readonly Lock _lock = new();
    private double _lastConsumed;
    private long _lastAt = Stopwatch.GetTimestamp();

    public LiveStats()
    {
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

    /// <summary>Prints a line every <paramref name="interval"/> until cancelled, and a last one then.</summary>
    public async Task PrintAsync(TextWriter output, TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                output.WriteLine(Line());
            }
        }
        catch (OperationCanceledException)
        {
            output.WriteLine(Line());
        }
    }

    /// <summary>
    /// <c>stats: 1234.5 msg/s, processed 5000, in-flight 12, lag 340, retries 7, dead letters 1</c>:
    /// the rate since the last line; lag summed over partitions (from librdkafka's statistics, "?" until known).
    /// </summary>
    public string Line()
    {
        _listener.RecordObservableInstruments();
        lock (_lock)
        {
            var now = Stopwatch.GetTimestamp();
            var consumed = Total("messaging.client.consumed.messages");
            var seconds = Stopwatch.GetElapsedTime(_lastAt, now).TotalSeconds;
            var rate = seconds > 0 ? (consumed - _lastConsumed) / seconds : 0;
            _lastConsumed = consumed;
            _lastAt = now;
            var lag = _lag.Count == 0 ? "?" : _lag.Values.Sum().ToString("F0", CultureInfo.InvariantCulture);
            return string.Create(CultureInfo.InvariantCulture,
                $"stats: {rate:F1} msg/s, processed {Total("conveyor.messages.processed"):F0}, in-flight {Total("conveyor.messages.in_flight"):F0}, lag {lag}, retries {Total("conveyor.messages.retried"):F0}, dead letters {Total("conveyor.messages.dead_lettered"):F0}");
        }
    }

    public void Dispose() => _listener.Dispose();

    private double Total(string name) => _totals.GetValueOrDefault(name);

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        lock (_lock)
        {
            if (instrument.Name == "conveyor.consumer.lag")
            {
                string? topic = null, partition = null;
                foreach (var tag in tags)
                {
                    topic = tag.Key == MessagingAttributes.Destination ? tag.Value as string : topic;
                    partition = tag.Key == MessagingAttributes.Partition ? tag.Value as string : partition;
                }

                _lag[$"{topic}[{partition}]"] = value;
            }
            else if (instrument is Counter<long> or UpDownCounter<long>)
            {
                _totals[instrument.Name] = _totals.GetValueOrDefault(instrument.Name) + value;
            }
        }
    }
}

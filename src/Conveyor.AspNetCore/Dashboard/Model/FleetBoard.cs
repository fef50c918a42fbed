using Conveyor.Configuration;
using Conveyor.Fleet;

namespace Conveyor.AspNetCore.Dashboard.Model;

/// <summary>
/// The fleet page's view of the status topics of the processors that have <c>Fleet</c> on: one
/// <see cref="FleetReader"/> per cluster and status topic (kept in a <see cref="ReaderCache{TReader}"/>),
/// opened on first use and read a little further on each request.
/// </summary>
internal sealed class FleetBoard : IDisposable
{
    // Long enough to take in what came since the last page refresh, short enough not to hold the page up.
    private static readonly TimeSpan ReadFor = TimeSpan.FromMilliseconds(150);
    private readonly ReaderCache<Entry> _readers = new();

    /// <summary>Every group seen on the status topics of <paramref name="processors"/> (at least their own groups), with its instances.</summary>
    public async Task<IReadOnlyList<FleetGroup>> ReadAsync(IReadOnlyList<ProcessorView> processors, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var groups = new Dictionary<string, FleetGroup>(StringComparer.Ordinal);
        foreach (var processor in processors.Where(p => p.Fleet?.StatusTopic is not null))
        {
            var fleet = processor.Fleet!;
            string? problem = null;
            IReadOnlyList<FleetInstance> instances = [];
            try
            {
                (instances, var missing) = await _readers.ReadAsync(
                    Key(processor), () => new Entry(), entry => (entry.Read(processor, GoneAfter(fleet), ReadFor, now, cancellationToken), entry.Missing), cancellationToken).ConfigureAwait(false);
                if (missing)
                {
                    problem = $"the status topic '{fleet.StatusTopic}' does not exist: create it, or check Fleet.StatusTopic.";
                }
            }
            catch (Exception e) when (e is Confluent.Kafka.KafkaException or InvalidOperationException)
            {
                problem = processor.Redact(e.Message);
            }

            foreach (var instance in instances)
            {
                var group = instance.Status.Group;
                groups[group] = groups.TryGetValue(group, out var held)
                    ? held with { Instances = [.. held.Instances, instance] }
                    : new FleetGroup(group, null, [instance], null);
            }

            groups[processor.GroupId] = groups.TryGetValue(processor.GroupId, out var own)
                ? own with { Control = processor, Problem = problem }
                : new FleetGroup(processor.GroupId, processor, [], problem);
        }

        return [.. groups.Values.OrderBy(g => g.Group, StringComparer.Ordinal)];
    }

    public void Dispose() => _readers.Dispose();

    /// <summary>An instance is gone after three missed reports, and never sooner than 10 s.</summary>
    internal static TimeSpan GoneAfter(FleetOptions fleet) => TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(10).Ticks, fleet.StatusInterval.Ticks * 3));

    private static string Key(ProcessorView processor) => $"{processor.Client.BootstrapServers}|{processor.Fleet!.StatusTopic}";

    private sealed class Entry : IDisposable
    {
        private FleetReader? _reader;

        public bool Missing { get; private set; }

        public IReadOnlyList<FleetInstance> Read(ProcessorView processor, TimeSpan goneAfter, TimeSpan readFor, DateTimeOffset now, CancellationToken cancellationToken)
        {
            if (_reader is null)
            {
                _reader = FleetReader.Open(KafkaClientProperties.From(processor.Client), processor.Fleet!.StatusTopic!, goneAfter, cancellationToken);
                Missing = _reader is null;
                if (_reader is null)
                {
                    return [];
                }
            }
            else
            {
                _reader.ReadUntil(DateTime.UtcNow + readFor, cancellationToken: cancellationToken);
            }

            return _reader.View.Instances(now);
        }

        public void Dispose() => _reader?.Dispose();
    }
}

/// <summary>
/// One group on the fleet page: its instances as the status topic tells them, and the local processor
/// of that group whose control topic the page's commands go to (null for a group only seen on the topic).
/// </summary>
internal sealed record FleetGroup(string Group, ProcessorView? Control, IReadOnlyList<FleetInstance> Instances, string? Problem)
{
    /// <summary>Whether commands can be sent to this group from here.</summary>
    public bool Controllable => Control?.Fleet?.ControlTopic is not null;
}

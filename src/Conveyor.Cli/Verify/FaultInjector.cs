using Conveyor.Testing;

namespace Conveyor.Cli.Verify;

/// <summary>Injects one random fault at a time, from a seeded schedule, and counts them by kind.</summary>
internal sealed class FaultInjector
{
    /// <summary>
    /// How long a joined worker stays before it may leave again. A classic join takes about 5 s on
    /// the embedded broker, as long as the default fault interval: a worker that left at the next
    /// fault had never handled a message, and the partitions assigned to it waited through every
    /// join and leave (a rebalance storm, not a test of the engine).
    /// </summary>
    public static readonly TimeSpan MinimumMembership = TimeSpan.FromSeconds(15);

    private readonly FaultKind _enabled;
    private readonly WorkerPool _workers;
    private readonly int _baseWorkers;
    private readonly EmbeddedKafkaCluster? _broker;
    private readonly FaultSchedule _schedule;
    private readonly Dictionary<string, int> _counts = [];

    public FaultInjector(FaultKind enabled, WorkerPool workers, int baseWorkers, EmbeddedKafkaCluster? broker, int seed)
    {
        _enabled = enabled;
        _workers = workers;
        _baseWorkers = baseWorkers;
        _broker = broker;
        _schedule = new FaultSchedule(seed);
    }

    public IReadOnlyDictionary<string, int> Counts => _counts;

    /// <summary>Whether any scheduled fault (worker or broker) is enabled and possible here; handler faults come from the workers' dice.</summary>
    public bool CanInject => Possible(now: false).Count > 0;

    /// <summary>Scheduled faults injected so far.</summary>
    public int Injected => _counts.Values.Sum();

    /// <summary>Injects one fault chosen at random among those enabled (and possible here).</summary>
    public async Task InjectOneAsync()
    {
        var possible = Possible();
        if (possible.Count == 0)
        {
            return;
        }

        var draw = _schedule.Next(possible, _workers.Count, _broker?.BrokerCount ?? 0);
        switch (draw.Kind)
        {
            case FaultKind.Kill:
                _workers.Kill(draw.Worker);
                Count("worker killed (SIGKILL)");
                break;
            case FaultKind.Restart:
                await _workers.RestartAsync(draw.Worker).ConfigureAwait(false);
                Count("worker restarted (SIGTERM)");
                break;
            case FaultKind.JoinLeave when _workers.Count > _baseWorkers:
                await _workers.RemoveLastAsync().ConfigureAwait(false);
                Count("worker left");
                break;
            case FaultKind.JoinLeave:
                _workers.Add();
                Count("worker joined");
                break;
            case FaultKind.BrokerErrors:
                _broker!.InjectRequestErrors(draw.Api, Enumerable.Repeat(draw.Error, draw.Count).ToArray());
                Count($"{draw.Api} errors");
                break;
            case FaultKind.DropConnections:
                _broker!.DropConnections(draw.Api, draw.Count);
                Count("dropped connections");
                break;
            case FaultKind.BrokerDown:
                _broker!.SetBrokerDown(draw.Broker);
                await Task.Delay(draw.Down).ConfigureAwait(false);
                _broker.SetBrokerUp(draw.Broker);
                Count("broker down and up");
                break;
        }
    }

    /// <summary>The faults enabled and possible here; <paramref name="now"/>: and possible at this moment (a joined worker leaves only once it is old enough).</summary>
    private List<FaultKind> Possible(bool now = true) => [.. Enum.GetValues<FaultKind>()
        .Where(k => k is FaultKind.Kill or FaultKind.Restart or FaultKind.JoinLeave or FaultKind.BrokerErrors or FaultKind.DropConnections or FaultKind.BrokerDown)
        .Where(k => FaultKinds.Injectable(_enabled, embedded: _broker is not null).HasFlag(k))
        .Where(k => k != FaultKind.BrokerDown || _broker!.BrokerCount >= 2)
        .Where(k => !now || k != FaultKind.JoinLeave || _workers.Count <= _baseWorkers || _workers.LastAge >= MinimumMembership)];

    private void Count(string name) => _counts[name] = _counts.GetValueOrDefault(name) + 1;
}

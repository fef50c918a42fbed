using Confluent.Kafka;
using Conveyor.Testing;

namespace Conveyor.Cli.Verify;

/// <summary>Injects one random fault at a time, from a seeded schedule, and counts them by kind.</summary>
internal sealed class FaultInjector
{
    private static readonly (KafkaApiKey Api, ErrorCode Error)[] BrokerErrors =
    [
        (KafkaApiKey.Fetch, ErrorCode.NotLeaderForPartition),
        (KafkaApiKey.OffsetCommit, ErrorCode.RequestTimedOut),
        (KafkaApiKey.Produce, ErrorCode.NotEnoughReplicas),
        (KafkaApiKey.JoinGroup, ErrorCode.NotCoordinatorForGroup),
        (KafkaApiKey.SyncGroup, ErrorCode.RebalanceInProgress),
    ];

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
    private readonly Random _dice;
    private readonly Dictionary<string, int> _counts = [];

    public FaultInjector(FaultKind enabled, WorkerPool workers, int baseWorkers, EmbeddedKafkaCluster? broker, int seed)
    {
        _enabled = enabled;
        _workers = workers;
        _baseWorkers = baseWorkers;
        _broker = broker;
        _dice = new Random(seed);
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

        var kind = possible[_dice.Next(possible.Count)];
        switch (kind)
        {
            case FaultKind.Kill:
                _workers.Kill(_dice.Next(_workers.Count));
                Count("worker killed (SIGKILL)");
                break;
            case FaultKind.Restart:
                await _workers.RestartAsync(_dice.Next(_workers.Count)).ConfigureAwait(false);
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
                var (api, error) = BrokerErrors[_dice.Next(BrokerErrors.Length)];
                _broker!.InjectRequestErrors(api, Enumerable.Repeat(error, _dice.Next(1, 4)).ToArray());
                Count($"{api} errors");
                break;
            case FaultKind.DropConnections:
                _broker!.DropConnections(_dice.Next(2) == 0 ? KafkaApiKey.Fetch : KafkaApiKey.Produce, _dice.Next(1, 3));
                Count("dropped connections");
                break;
            case FaultKind.BrokerDown:
                var broker = _dice.Next(2, _broker!.BrokerCount + 1); // never broker 1, the group coordinator
                _broker.SetBrokerDown(broker);
                await Task.Delay(_dice.Next(200, 2000)).ConfigureAwait(false);
                _broker.SetBrokerUp(broker);
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

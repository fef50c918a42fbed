using Confluent.Kafka;
using Conveyor.Testing;

namespace Conveyor.Cli.Verify;

/// <summary>One drawn fault: its kind and the dice it needs (which worker, which errors, which broker, how long).</summary>
/// <param name="Kind">The fault.</param>
/// <param name="Worker">The worker to kill or restart (index into the pool).</param>
/// <param name="Api">The request the broker fails (broker errors, dropped connections).</param>
/// <param name="Error">The error the broker answers (broker errors).</param>
/// <param name="Count">How many requests fail or connections drop.</param>
/// <param name="Broker">The broker to take down (never broker 1, the group coordinator).</param>
/// <param name="Down">How long the broker stays down.</param>
internal sealed record FaultDraw(FaultKind Kind, int Worker = 0, KafkaApiKey Api = default, ErrorCode Error = default, int Count = 0, int Broker = 0, TimeSpan Down = default);

/// <summary>
/// The seeded fault schedule, apart from injecting: the same seed and the same choices on offer
/// draw the same faults, so a failed run can be repeated with the seed it printed.
/// </summary>
internal sealed class FaultSchedule
{
    private static readonly (KafkaApiKey Api, ErrorCode Error)[] BrokerErrors =
    [
        (KafkaApiKey.Fetch, ErrorCode.NotLeaderForPartition),
        (KafkaApiKey.OffsetCommit, ErrorCode.RequestTimedOut),
        (KafkaApiKey.Produce, ErrorCode.NotEnoughReplicas),
        (KafkaApiKey.JoinGroup, ErrorCode.NotCoordinatorForGroup),
        (KafkaApiKey.SyncGroup, ErrorCode.RebalanceInProgress),
    ];

    private readonly Random _dice;

    public FaultSchedule(int seed) => _dice = new Random(seed);

    /// <summary>Draws the next fault among <paramref name="possible"/> (not empty).</summary>
    /// <param name="possible">The faults possible now, in a fixed order.</param>
    /// <param name="workers">Workers running now.</param>
    /// <param name="brokers">Brokers of the embedded cluster (0 without one).</param>
    public FaultDraw Next(IReadOnlyList<FaultKind> possible, int workers, int brokers)
    {
        var kind = possible[_dice.Next(possible.Count)];
        switch (kind)
        {
            case FaultKind.Kill or FaultKind.Restart:
                return new FaultDraw(kind, Worker: _dice.Next(workers));
            case FaultKind.BrokerErrors:
                var (api, error) = BrokerErrors[_dice.Next(BrokerErrors.Length)];
                return new FaultDraw(kind, Api: api, Error: error, Count: _dice.Next(1, 4));
            case FaultKind.DropConnections:
                var dropped = _dice.Next(2) == 0 ? KafkaApiKey.Fetch : KafkaApiKey.Produce;
                return new FaultDraw(kind, Api: dropped, Count: _dice.Next(1, 3));
            case FaultKind.BrokerDown:
                var broker = _dice.Next(2, brokers + 1);
                return new FaultDraw(kind, Broker: broker, Down: TimeSpan.FromMilliseconds(_dice.Next(200, 2000)));
            default:
                return new FaultDraw(kind);
        }
    }
}

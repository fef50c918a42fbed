using Confluent.Kafka;
using Conveyor.Testing.Native;

namespace Conveyor.Testing;

/// <summary>Fault switches: the broker's own error injection, outages and latency.</summary>
public sealed partial class EmbeddedKafkaCluster
{
    /// <summary>
    /// The next requests of one type get these errors, one request per error, in order; later
    /// requests succeed again. E.g. <c>InjectRequestErrors(KafkaApiKey.OffsetCommit, ErrorCode.RebalanceInProgress)</c>.
    /// </summary>
    public void InjectRequestErrors(KafkaApiKey apiKey, params ErrorCode[] errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Length == 0)
        {
            return;
        }

        var codes = Array.ConvertAll(errors, e => (int)e);
        Use(cluster => MockClusterNative.PushRequestErrors(cluster, (short)apiKey, (UIntPtr)codes.Length, codes));
    }

    /// <summary>Forgets errors injected for one request type that have not been used yet.</summary>
    public void ClearRequestErrors(KafkaApiKey apiKey) => Use(cluster => MockClusterNative.ClearRequestErrors(cluster, (short)apiKey));

    /// <summary>The broker closes the client's connection on the next <paramref name="count"/> requests of this type.</summary>
    public void DropConnections(KafkaApiKey apiKey, int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        // librdkafka's mock treats a transport error as "close the connection instead of answering".
        InjectRequestErrors(apiKey, Enumerable.Repeat(ErrorCode.Local_Transport, count).ToArray());
    }

    /// <summary>Takes a broker down: its connections close and it accepts no new ones until <see cref="SetBrokerUp"/>.</summary>
    public void SetBrokerDown(int brokerId) =>
        Change(cluster => MockClusterNative.BrokerSetDown(cluster, ValidBroker(brokerId)), $"take broker {brokerId} down");

    /// <summary>Brings a broker back up.</summary>
    public void SetBrokerUp(int brokerId) =>
        Change(cluster => MockClusterNative.BrokerSetUp(cluster, ValidBroker(brokerId)), $"bring broker {brokerId} up");

    /// <summary>Delays every response of a broker by this round-trip time (zero removes the delay).</summary>
    public void SetRoundTripDelay(int brokerId, TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(delay.Ticks, nameof(delay));
        Change(cluster => MockClusterNative.BrokerSetRtt(cluster, ValidBroker(brokerId), (int)delay.TotalMilliseconds), $"set the round-trip delay of broker {brokerId}");
    }

    /// <summary>Moves a partition's leadership to a broker.</summary>
    public void SetPartitionLeader(string topic, int partition, int brokerId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        Change(cluster => MockClusterNative.PartitionSetLeader(cluster, topic, partition, ValidBroker(brokerId)), $"move the leader of {topic}[{partition}]");
    }

    /// <summary>Makes a broker the coordinator of a consumer group.</summary>
    public void SetGroupCoordinator(string groupId, int brokerId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        Change(cluster => MockClusterNative.CoordinatorSet(cluster, "group", groupId, ValidBroker(brokerId)), $"set the coordinator of group '{groupId}'");
    }

    /// <summary>
    /// How long a member of a KIP-848 group (<c>group.protocol=consumer</c>) may go without a
    /// heartbeat before the broker removes it and assigns its partitions to others: the broker's
    /// <c>group.consumer.session.timeout.ms</c> (45 s on a real broker by default; the client's
    /// <c>session.timeout.ms</c> applies to classic groups only). Applies to members joining from now on.
    /// </summary>
    public void SetConsumerGroupSessionTimeout(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.FromMilliseconds(1));
        Use(cluster => MockClusterNative.SetGroupConsumerSessionTimeoutMs(cluster, (int)timeout.TotalMilliseconds));
    }

    /// <summary>Makes a broker the transaction coordinator of a transactional id.</summary>
    public void SetTransactionCoordinator(string transactionalId, int brokerId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(transactionalId);
        Change(cluster => MockClusterNative.CoordinatorSet(cluster, "transaction", transactionalId, ValidBroker(brokerId)), $"set the coordinator of transactional id '{transactionalId}'");
    }

    /// <summary>
    /// Every broker answers ApiVersions with this range for one request type from now on, as an
    /// older (or newer) broker would; clients learn it when they connect next. E.g.
    /// <c>SetApiVersion(KafkaApiKey.TxnOffsetCommit, 0, 2)</c> is a broker before Kafka 2.5;
    /// <c>-1, -1</c> makes the request unsupported, as on a broker that predates it (e.g.
    /// <see cref="KafkaApiKey.ConsumerGroupHeartbeat"/> on a broker without KIP-848).
    /// </summary>
    public void SetApiVersion(KafkaApiKey apiKey, short minVersion, short maxVersion)
    {
        if (minVersion != -1 || maxVersion != -1)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(minVersion);
            ArgumentOutOfRangeException.ThrowIfLessThan(maxVersion, minVersion);
        }

        Change(cluster => MockClusterNative.SetApiVersion(cluster, (short)apiKey, minVersion, maxVersion), $"set the versions of {apiKey}");
    }

    private int ValidBroker(int brokerId)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokerId, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(brokerId, BrokerCount);
        return brokerId;
    }
}

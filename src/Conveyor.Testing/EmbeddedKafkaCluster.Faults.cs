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
        MockClusterNative.PushRequestErrors(Cluster, (short)apiKey, (UIntPtr)codes.Length, codes);
    }

    /// <summary>Forgets errors injected for one request type that have not been used yet.</summary>
    public void ClearRequestErrors(KafkaApiKey apiKey) => MockClusterNative.ClearRequestErrors(Cluster, (short)apiKey);

    /// <summary>The broker closes the client's connection on the next <paramref name="count"/> requests of this type.</summary>
    public void DropConnections(KafkaApiKey apiKey, int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        // librdkafka's mock treats a transport error as "close the connection instead of answering".
        InjectRequestErrors(apiKey, Enumerable.Repeat(ErrorCode.Local_Transport, count).ToArray());
    }

    /// <summary>Takes a broker down: its connections close and it accepts no new ones until <see cref="SetBrokerUp"/>.</summary>
    public void SetBrokerDown(int brokerId) =>
        Check(MockClusterNative.BrokerSetDown(Cluster, ValidBroker(brokerId)), $"take broker {brokerId} down");

    /// <summary>Brings a broker back up.</summary>
    public void SetBrokerUp(int brokerId) =>
        Check(MockClusterNative.BrokerSetUp(Cluster, ValidBroker(brokerId)), $"bring broker {brokerId} up");

    /// <summary>
    /// Sets the versions of a request the brokers say they support; <c>-1, -1</c> makes it
    /// unsupported, as on a broker that predates it (e.g. api key 68, ConsumerGroupHeartbeat, on a
    /// broker without KIP-848).
    /// </summary>
    public void SetApiVersion(short apiKey, short min, short max) =>
        Check(MockClusterNative.SetApiVersion(Cluster, apiKey, min, max), $"set the versions of api key {apiKey}");

    /// <summary>Delays every response of a broker by this round-trip time (zero removes the delay).</summary>
    public void SetRoundTripDelay(int brokerId, TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(delay.Ticks, nameof(delay));
        Check(MockClusterNative.BrokerSetRtt(Cluster, ValidBroker(brokerId), (int)delay.TotalMilliseconds), $"set the round-trip delay of broker {brokerId}");
    }

    /// <summary>Moves a partition's leadership to a broker.</summary>
    public void SetPartitionLeader(string topic, int partition, int brokerId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        Check(MockClusterNative.PartitionSetLeader(Cluster, topic, partition, ValidBroker(brokerId)), $"move the leader of {topic}[{partition}]");
    }

    /// <summary>Makes a broker the coordinator of a consumer group.</summary>
    public void SetGroupCoordinator(string groupId, int brokerId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        Check(MockClusterNative.CoordinatorSet(Cluster, "group", groupId, ValidBroker(brokerId)), $"set the coordinator of group '{groupId}'");
    }

    private int ValidBroker(int brokerId)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokerId, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(brokerId, BrokerCount);
        return brokerId;
    }
}

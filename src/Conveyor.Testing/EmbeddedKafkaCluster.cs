using System.Runtime.InteropServices;
using Conveyor.Testing.Native;

namespace Conveyor.Testing;

/// <summary>
/// A Kafka-protocol broker cluster inside this process: librdkafka's mock cluster, listening on
/// 127.0.0.1 at random ports. Any Kafka client, in this process or another, connects to it through
/// <see cref="BootstrapServers"/>. Use it in tests and demos where no real cluster is at hand.
/// </summary>
/// <remarks>
/// It behaves like Kafka for producing, fetching, idempotence, consumer groups (classic and
/// KIP-848) and offsets. It does not enforce transactions, keeps only about 5 MiB per partition and
/// has no admin API for topics: create them with <see cref="CreateTopic"/>.
/// Fault switches are in <c>EmbeddedKafkaCluster.Faults.cs</c>.
/// </remarks>
public sealed partial class EmbeddedKafkaCluster : IAsyncDisposable, IDisposable
{
    private readonly Lock _lock = new();
    private IntPtr _handle;
    private IntPtr _cluster;

    private EmbeddedKafkaCluster(IntPtr handle, IntPtr cluster, int brokers)
    {
        _handle = handle;
        _cluster = cluster;
        BrokerCount = brokers;
        BootstrapServers = Marshal.PtrToStringUTF8(MockClusterNative.ClusterBootstraps(cluster))
            ?? throw new InvalidOperationException("The embedded broker reported no bootstrap address.");
    }

    /// <summary>The bootstrap string for clients, e.g. <c>127.0.0.1:39427</c>.</summary>
    public string BootstrapServers { get; }

    /// <summary>The number of brokers; their ids are 1 to <see cref="BrokerCount"/>.</summary>
    public int BrokerCount { get; }

    /// <summary>Starts a cluster and creates the topics the options name.</summary>
    /// <exception cref="ArgumentException">The options are out of range.</exception>
    /// <exception cref="InvalidOperationException">librdkafka could not start the cluster.</exception>
    public static EmbeddedKafkaCluster Start(EmbeddedKafkaOptions? options = null)
    {
        options ??= new EmbeddedKafkaOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Brokers, 1, nameof(options.Brokers));
        ArgumentOutOfRangeException.ThrowIfNegative(options.GroupInitialRebalanceDelay.Ticks, nameof(options.GroupInitialRebalanceDelay));

        var handle = CreateHostHandle();
        var cluster = MockClusterNative.ClusterNew(handle, options.Brokers);
        if (cluster == IntPtr.Zero)
        {
            MockClusterNative.KafkaDestroy(handle);
            throw new InvalidOperationException(
                $"librdkafka could not start a mock cluster with {options.Brokers} broker(s). Is the librdkafka next to the application built with mock cluster support (2.x)?");
        }

        var result = new EmbeddedKafkaCluster(handle, cluster, options.Brokers);
        try
        {
            MockClusterNative.GroupInitialRebalanceDelayMs(cluster, (int)options.GroupInitialRebalanceDelay.TotalMilliseconds);
            foreach (var topic in options.Topics)
            {
                result.CreateTopic(topic.Name, topic.Partitions);
            }
        }
        catch
        {
            result.Dispose();
            throw;
        }

        return result;
    }

    /// <summary>Creates a topic with a chosen number of partitions (topics created on first use get 4).</summary>
    /// <exception cref="ArgumentException">The name is empty, or a count is out of range.</exception>
    /// <exception cref="InvalidOperationException">The broker refused (e.g. the topic exists).</exception>
    public void CreateTopic(string name, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replicationFactor, BrokerCount);
        Change(cluster => MockClusterNative.TopicCreate(cluster, name, partitions, replicationFactor), $"create topic '{name}'");
    }

    /// <summary>Stops the cluster; connected clients see their connections refused.</summary>
    public ValueTask DisposeAsync()
    {
        // Destroying the cluster joins its broker threads: keep that off the caller's thread.
        return _cluster == IntPtr.Zero ? ValueTask.CompletedTask : new ValueTask(Task.Run(Dispose));
    }

    /// <summary>Stops the cluster synchronously.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_cluster == IntPtr.Zero)
            {
                return;
            }

            // The handle that hosts the cluster must outlive it.
            MockClusterNative.ClusterDestroy(_cluster);
            MockClusterNative.KafkaDestroy(_handle);
            _cluster = IntPtr.Zero;
            _handle = IntPtr.Zero;
        }
    }

    /// <summary>
    /// Calls into the native cluster under the lock <see cref="Dispose()"/> takes: a switch thrown
    /// while another thread disposes runs before the cluster is destroyed or is refused with
    /// <see cref="ObjectDisposedException"/>, never on a destroyed cluster (freed memory: a crash
    /// or a hang of the whole process).
    /// </summary>
    private void Use(Action<IntPtr> call)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
            call(_cluster);
        }
    }

    /// <summary><see cref="Use"/> for a call that answers with an error code; a refusal throws, naming the action.</summary>
    private void Change(Func<IntPtr, int> call, string action) => Use(cluster => Check(call(cluster), action));

    private static void Check(int error, string action)
    {
        if (error != 0)
        {
            throw new InvalidOperationException($"The embedded broker could not {action}: {MockClusterNative.Describe(error)}.");
        }
    }

    private static IntPtr CreateHostHandle()
    {
        var error = new byte[512];
        var conf = MockClusterNative.ConfNew();
        // Only errors: the host handle has no bootstrap servers and would warn about it.
        MockClusterNative.ConfSet(conf, "log_level", "3", error, (UIntPtr)error.Length);
        var handle = MockClusterNative.KafkaNew(MockClusterNative.ProducerType, conf, error, (UIntPtr)error.Length);
        if (handle == IntPtr.Zero)
        {
            throw new InvalidOperationException($"librdkafka could not create the handle that hosts the embedded broker: {MockClusterNative.ReadError(error)}");
        }

        return handle;
    }
}

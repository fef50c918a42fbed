using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;
using Conveyor.Processing.Forwarding;

namespace Conveyor.Native.Producing;

/// <summary>
/// An at-least-once output producer on librdkafka directly, without Confluent.Kafka's objects per
/// record (a message, a delivery handler, a report with its own message, an error and the
/// marshalled native message: about 500 bytes a record, living for the broker's round trip).
/// Its own <c>rd_kafka_t</c> with the configuration the Confluent.Kafka producer would get;
/// key, value and headers are copied by librdkafka during the produce call
/// (<c>RD_KAFKA_MSG_F_COPY</c>), so nothing managed is pinned or kept for a record but its
/// <see cref="OutputSlot"/>, whose number in <see cref="InFlightRecords"/> is the record's opaque
/// until its delivery report. Delivery reports, errors and log lines are served on a thread of its own
/// (<c>rd_kafka_poll</c>), a poll call's reports as one batch (<see cref="ReportInBatches"/>). Not for transactions (exactly-once keeps Confluent.Kafka's producer).
/// </summary>
internal sealed unsafe partial class NativeProducer : IOutputSender
{
    private const int PollMs = 100;

    // Topic handles kept for the producer's life, so a record needs no look-up of its topic by
    // name (a lock in librdkafka per record); past this many topics, records name their topic.
    private const int MaxTopicHandles = 1_000;

    private readonly IntPtr _rk;
    private readonly GCHandle _self;
    private readonly Action<Error> _onError;
    private readonly Action<LogMessage> _onLog;
    private readonly Action<Error> _onFatal;
    private readonly TimeSpan _flushTimeout;
    private readonly Thread _poller;
    private readonly InFlightRecords _inFlight = new();
    private volatile bool _stopping;
    private int _disposed;
    private IReportBatches? _batches;

    // Sends under way: disposal waits for them before destroying the handle they use.
    private int _sending;

    private readonly ConcurrentDictionary<string, IntPtr> _topics = new(StringComparer.Ordinal);
    private readonly Lock _topicsLock = new();

    private NativeProducer(IntPtr rk, GCHandle self, Action<Error> onError, Action<LogMessage> onLog, Action<Error> onFatal, TimeSpan flushTimeout)
    {
        _rk = rk;
        _self = self;
        _onError = onError;
        _onLog = onLog;
        _onFatal = onFatal;
        _flushTimeout = flushTimeout;
        _poller = new Thread(PollUntilStopped) { IsBackground = true, Name = "conveyor-output-producer" };
    }

    /// <summary>
    /// Makes the producer from <paramref name="config"/> (librdkafka properties; Confluent.Kafka's
    /// own <c>dotnet.*</c> ones are skipped) and starts serving its callbacks.
    /// </summary>
    /// <param name="config">The properties.</param>
    /// <param name="onError">Hears every error librdkafka reports outside a delivery report.</param>
    /// <param name="onLog">Hears librdkafka's log lines.</param>
    /// <param name="onFatal">Also hears fatal errors, after <paramref name="onError"/>: the producer is unusable.</param>
    /// <param name="flushTimeout">How long disposing waits for unacknowledged records before failing them; default 10 s.</param>
    /// <exception cref="ArgumentException">librdkafka refused a property or the configuration.</exception>
    public static NativeProducer Create(
        IEnumerable<KeyValuePair<string, string>> config,
        Action<Error> onError,
        Action<LogMessage> onLog,
        Action<Error> onFatal,
        TimeSpan? flushTimeout = null)
    {
        var conf = LibrdkafkaNative.ConfNew();
        foreach (var (name, value) in config)
        {
            if (name.StartsWith("dotnet.", StringComparison.Ordinal))
            {
                continue;
            }

            if (LibrdkafkaNative.TrySet(conf, name, value) is { } refused)
            {
                LibrdkafkaNative.ConfDestroy(conf);
                throw new ArgumentException($"The output producer refused '{name}': {Configuration.SecretProperties.Redact(refused, config)}", nameof(config));
            }
        }

        // Log lines are served by rd_kafka_poll on the producer's thread, not on librdkafka's own.
        _ = LibrdkafkaNative.TrySet(conf, "log.queue", "true");
        ProducerImports.SetDeliveryCallback(conf, &OnDelivery);
        ProducerImports.SetErrorCallback(conf, &OnError);
        ProducerImports.SetLogCallback(conf, &OnLog);

        // The instance is reached from the callbacks through librdkafka's opaque; it is set before
        // rd_kafka_new (which takes the configuration) and the instance fills it in afterwards.
        var self = GCHandle.Alloc(null, GCHandleType.Normal);
        ProducerImports.SetOpaque(conf, GCHandle.ToIntPtr(self));
        var errors = stackalloc byte[512];
        var rk = ProducerImports.New(ProducerImports.Producer, conf, errors, 512);
        if (rk == IntPtr.Zero)
        {
            LibrdkafkaNative.ConfDestroy(conf); // not taken by a failed rd_kafka_new
            self.Free();
            throw new ArgumentException($"The output producer could not be made: {Configuration.SecretProperties.Redact(Marshal.PtrToStringUTF8((IntPtr)errors) ?? string.Empty, config)}", nameof(config));
        }

        var producer = new NativeProducer(rk, self, onError, onLog, onFatal, flushTimeout ?? TimeSpan.FromSeconds(10));
        self.Target = producer;
        _ = ProducerImports.SetLogQueue(rk, IntPtr.Zero); // the main queue, which rd_kafka_poll serves
        producer._poller.Start();
        return producer;
    }

    /// <summary>Records produced and not yet reported (librdkafka's queue and in flight).</summary>
    public int Unreported => Volatile.Read(ref _disposed) == 0 ? ProducerImports.OutQueueLength(_rk) : 0;

    /// <summary>
    /// Hands <paramref name="output"/> to librdkafka; its delivery report comes to
    /// <paramref name="slot"/> on the producer's thread. A record refused at once (e.g. too large,
    /// queue full, a fatal error raised) is reported to the slot before this returns.
    /// </summary>
    public void Send(OutputRecord output, OutputSlot slot)
    {
        var record = _inFlight.Add(slot);
        Error? refused;
        Interlocked.Increment(ref _sending);
        try
        {
            // A retry's resend can come after the processor stopped and disposed this producer.
            refused = Volatile.Read(ref _disposed) != 0
                ? new Error(ErrorCode.Local_Destroy, "The output producer was disposed.")
                : Produce(output, record);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Reported like a refusal: an input with an output neither sent nor failed would never finish.
            refused = new Error(ErrorCode.Local_Fail, $"The output could not be handed to librdkafka: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            Interlocked.Decrement(ref _sending);
        }

        if (refused is not null)
        {
            _ = _inFlight.Remove(record);
            slot.Report(refused, Partition.Any, Offset.Unset);
        }
    }

    private Error? Produce(OutputRecord output, int record)
    {
        var headers = output.Headers is { Count: > 0 } given ? NativeHeaders(given) : IntPtr.Zero;
        var topic = output.Topic;
        var handle = TopicHandle(topic);
        var topicBytes = handle == IntPtr.Zero ? Encoding.UTF8.GetMaxByteCount(topic.Length) + 1 : 0;
        var name = topicBytes <= 1024 ? stackalloc byte[topicBytes] : new byte[topicBytes];
        if (handle == IntPtr.Zero)
        {
            name[Encoding.UTF8.GetBytes(topic, name)] = 0;
        }

        IntPtr error;
        fixed (byte* topicName = name)
        fixed (byte* key = &Data(output.Key))
        fixed (byte* value = &Data(output.Value))
        {
            var fields = stackalloc ProduceField[7];
            fields[0] = handle != IntPtr.Zero ? ProduceField.Of(ProduceField.TopicHandle, handle) : ProduceField.Of(ProduceField.Topic, (IntPtr)topicName);
            fields[1] = ProduceField.Of(ProduceField.Partition, output.Partition ?? Partition.Any.Value);
            fields[2] = ProduceField.Of(ProduceField.Key, (IntPtr)key, (nuint)(output.Key?.Length ?? 0));
            fields[3] = ProduceField.Of(ProduceField.Value, (IntPtr)value, (nuint)(output.Value?.Length ?? 0));
            fields[4] = ProduceField.Of(ProduceField.Flags, ProducerImports.MessageCopy);
            fields[5] = ProduceField.Of(ProduceField.Opaque, (IntPtr)record);
            fields[6] = ProduceField.Of(ProduceField.Headers, headers);
            error = ProducerImports.Produce(_rk, fields, headers == IntPtr.Zero ? 6u : 7u);
        }

        if (error == IntPtr.Zero)
        {
            return null; // librdkafka owns the headers now
        }

        if (headers != IntPtr.Zero)
        {
            ProducerImports.HeadersDestroy(headers); // a failed produce leaves them to the caller
        }

        return NativeErrors.Take(error, "produce failed").Error;
    }

    private static IntPtr NativeHeaders(Headers headers)
    {
        var list = ProducerImports.HeadersNew((nuint)headers.Count);
        for (var i = 0; i < headers.Count; i++)
        {
            var header = headers[i];
            var name = Encoding.UTF8.GetBytes(header.Key);
            var value = header.GetValueBytes();
            fixed (byte* n = name)
            fixed (byte* v = &Data(value))
            {
                _ = ProducerImports.HeaderAdd(list, n, name.Length, v, value?.Length ?? 0); // copies both
            }
        }

        return list;
    }

    /// <summary>The topic's handle, made on its first record; zero past <see cref="MaxTopicHandles"/> or when librdkafka refuses the name (the produce call then reports why).</summary>
    private IntPtr TopicHandle(string topic)
    {
        if (_topics.TryGetValue(topic, out var handle) || _topics.Count >= MaxTopicHandles)
        {
            return handle;
        }

        lock (_topicsLock)
        {
            if (!_topics.TryGetValue(topic, out handle) && (handle = ProducerImports.TopicNew(_rk, topic, IntPtr.Zero)) != IntPtr.Zero)
            {
                _topics[topic] = handle;
            }

            return handle;
        }
    }

    // A null array pins as a null pointer (null key, tombstone); an empty one as a non-null pointer (empty key or value).
    private static ref byte Data(byte[]? bytes) =>
        ref bytes is null ? ref System.Runtime.CompilerServices.Unsafe.NullRef<byte>() : ref MemoryMarshal.GetArrayDataReference(bytes);

    /// <summary>Each <c>rd_kafka_poll</c> of this producer's thread serves a batch: <paramref name="batches"/> hears where it begins and ends. The reports served while disposing come one by one.</summary>
    public void ReportInBatches(IReportBatches batches) => Volatile.Write(ref _batches, batches);

    private void PollUntilStopped()
    {
        while (!_stopping)
        {
            var batches = Volatile.Read(ref _batches);
            batches?.Starting();
            _ = ProducerImports.Poll(_rk, PollMs);
            _inFlight.GiveBackReported();
            if (batches is not null)
            {
                Served(batches);
            }
        }
    }

    private void Served(IReportBatches batches)
    {
        try
        {
            batches.Served();
        }
        catch (Exception e)
        {
            // Like a callback's: room or deliveries not given back would stall the forwarder unseen.
            Failed(e);
        }
    }

    /// <summary>
    /// Stops: waits (up to the flush timeout) for every record's delivery report (served on this thread), then
    /// purges what is left, whose reports fail their inputs (nothing is dropped unreported), and
    /// destroys the handle.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        var sends = new SpinWait();
        while (Volatile.Read(ref _sending) > 0)
        {
            sends.SpinOnce();
        }

        _stopping = true;
        _poller.Join();
        _ = ProducerImports.Flush(_rk, (int)_flushTimeout.TotalMilliseconds);
        if (ProducerImports.OutQueueLength(_rk) > 0)
        {
            _ = ProducerImports.Purge(_rk, ProducerImports.PurgeQueue | ProducerImports.PurgeInFlight);
            _ = ProducerImports.Flush(_rk, 1_000); // serves the purged records' reports (__PURGE_QUEUE, __PURGE_INFLIGHT)
        }

        foreach (var topic in _topics.Values)
        {
            ProducerImports.TopicDestroy(topic); // the application's references; librdkafka's own go with the handle
        }

        ProducerImports.Destroy(_rk);
        _self.Free();
    }
}

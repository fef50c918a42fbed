using System.Runtime.InteropServices;
using Confluent.Kafka;
using Conveyor.Native.Producing;
using Conveyor.Processing.Engine;

namespace Conveyor.Native.Consuming;

/// <summary>
/// Reads a Confluent.Kafka consumer's messages with librdkafka's <c>rd_kafka_consumer_poll</c> on
/// the consumer's own handle, which is the call Confluent.Kafka's <c>Consume</c> makes: the
/// rebalance, error, log and statistics callbacks Confluent.Kafka registered still run inside it,
/// on this thread, and the assignment, positions and paused partitions stay librdkafka's, which
/// Confluent.Kafka reads back on every call. What it saves is the per-message garbage: no topic
/// string (interned), no topic-partition-offset or empty headers object, no boxed native struct.
/// Poll thread only.
/// </summary>
internal sealed unsafe class NativeConsume : IMessageSource
{
    private readonly SafeHandle _handle;
    private readonly TopicNames _topics = new();
    private readonly Func<Error> _fatal;

    private NativeConsume(SafeHandle handle)
    {
        _handle = handle;
        _fatal = () => FatalError(_handle.DangerousGetHandle()); // made once: a lambda per message cost 110 bytes a message
    }

    /// <summary>A native reader of <paramref name="consumer"/>'s messages; null when this Confluent.Kafka version hides the native handle.</summary>
    public static NativeConsume? For(IClient consumer) => OffsetsNative.NativeHandle(consumer) is { } handle ? new NativeConsume(handle) : null;

    /// <inheritdoc />
    public ConsumeResult<byte[]?, byte[]?>? Consume(TimeSpan timeout)
    {
        var added = false;
        _handle.DangerousAddRef(ref added); // a disposed consumer throws ObjectDisposedException, as Consume does
        try
        {
            var rk = _handle.DangerousGetHandle();
            var message = ConsumerImports.ConsumerPoll(rk, (int)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue));
            if (message is null)
            {
                return null;
            }

            try
            {
                return ConsumedMessage.Read(message, PartsOf(message), _fatal);
            }
            finally
            {
                ConsumerImports.MessageDestroy(message);
            }
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    private ConsumedMessage.Parts PartsOf(NativeMessage* message)
    {
        var topic = _topics.Of(message->Topic);
        if (message->Error == ConsumerImports.PartitionEof)
        {
            return new ConsumedMessage.Parts(topic, default, LeaderEpoch(message), null);
        }

        int type;
        var timestamp = ConsumerImports.MessageTimestamp(message, &type);
        return new ConsumedMessage.Parts(topic, new Timestamp(timestamp, (TimestampType)type), LeaderEpoch(message), Headers(message));
    }

    private static int? LeaderEpoch(NativeMessage* message) =>
        ConsumerImports.MessageLeaderEpoch(message) is var epoch and >= 0 ? epoch : null;

    private static Headers? Headers(NativeMessage* message)
    {
        IntPtr native;
        if (ConsumerImports.MessageHeaders(message, &native) != 0 || native == IntPtr.Zero)
        {
            return null; // _NOENT: the message has no headers
        }

        var headers = new Headers();
        for (nuint i = 0; ; i++)
        {
            byte* name;
            byte* value;
            nuint size;
            if (ConsumerImports.HeaderGetAll(native, i, &name, &value, &size) != 0)
            {
                return headers;
            }

            headers.Add(Marshal.PtrToStringUTF8((IntPtr)name) ?? string.Empty, value is null ? null : new ReadOnlySpan<byte>(value, checked((int)size)).ToArray());
        }
    }

    /// <summary>The client's fatal error as Confluent.Kafka reports it: the underlying code and text, marked fatal.</summary>
    private static Error FatalError(IntPtr rk)
    {
        const int Size = 512;
        var text = stackalloc byte[Size];
        var code = ConsumerImports.FatalErrorOf(rk, text, Size);
        return new Error((ErrorCode)code, Marshal.PtrToStringUTF8((IntPtr)text), isFatal: true);
    }
}

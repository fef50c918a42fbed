using Confluent.Kafka;
using Conveyor.Native.Producing;

namespace Conveyor.Native.Consuming;

/// <summary>
/// One <c>rd_kafka_message_t</c> from <c>rd_kafka_consumer_poll</c> as Confluent.Kafka's
/// <c>Consume</c> gives it for <c>byte[]</c> keys and values: a message, a partition's end, or
/// (<c>err</c> set) the same <see cref="ConsumeException"/> with the same <see cref="Error"/>. Key
/// and value are copied (the message is destroyed after); no topic-partition-offset object is made,
/// and no headers object when the message has none.
/// </summary>
internal static unsafe class ConsumedMessage
{
    /// <summary>What librdkafka reads for a message besides its fixed fields (a test passes them for a message made in memory).</summary>
    /// <param name="Topic">The topic's name (interned), or null when the message has no topic.</param>
    /// <param name="Timestamp">Its timestamp and type.</param>
    /// <param name="LeaderEpoch">The partition leader's epoch; null when unknown.</param>
    /// <param name="Headers">Its headers; null when it has none.</param>
    public readonly record struct Parts(string? Topic, Timestamp Timestamp, int? LeaderEpoch, Headers? Headers);

    /// <summary>The message as a consume result; throws <see cref="ConsumeException"/> when it carries an error.</summary>
    /// <param name="message">The polled message, not yet destroyed.</param>
    /// <param name="parts">Its topic, timestamp, leader epoch and headers.</param>
    /// <param name="fatal">The client's fatal error, asked only when <c>err</c> says there is one.</param>
    public static ConsumeResult<byte[]?, byte[]?> Read(NativeMessage* message, in Parts parts, Func<Error> fatal)
    {
        if (message->Error == ConsumerImports.PartitionEof)
        {
            return new ConsumeResult<byte[]?, byte[]?>
            {
                Topic = parts.Topic,
                Partition = new Partition(message->Partition),
                Offset = new Offset(message->Offset),
                LeaderEpoch = parts.LeaderEpoch,
                IsPartitionEOF = true,
            };
        }

        var result = new ConsumeResult<byte[]?, byte[]?>
        {
            Topic = parts.Topic,
            Partition = new Partition(message->Partition),
            Offset = new Offset(message->Offset),
            LeaderEpoch = parts.LeaderEpoch,
            Message = new Message<byte[]?, byte[]?>
            {
                Key = Copy(message->Key, message->KeyLength),
                Value = Copy(message->Payload, message->Length),
                Timestamp = parts.Timestamp,
                Headers = parts.Headers,
            },
        };
        if (message->Error != 0)
        {
            throw new ConsumeException(Raw(result), ErrorOf(message, fatal));
        }

        return result;
    }

    /// <summary>
    /// The error Confluent.Kafka 2.16 reports for a message's <c>err</c>: the client's fatal error
    /// behind <c>_FATAL</c>, else the code with librdkafka's text for this message
    /// (<c>rd_kafka_message_errstr</c>: the message's own text, or the code's).
    /// </summary>
    private static Error ErrorOf(NativeMessage* message, Func<Error> fatal) =>
        message->Error == ConsumerImports.FatalError ? fatal()
        : new Error((ErrorCode)message->Error, System.Runtime.InteropServices.Marshal.PtrToStringUTF8((IntPtr)ConsumerImports.MessageErrorText(message)));

    private static byte[]? Copy(IntPtr data, nuint length) =>
        data == IntPtr.Zero ? null : new ReadOnlySpan<byte>((void*)data, checked((int)length)).ToArray();

    // ConsumeException carries byte[] keys and values, not nullable ones: the same objects, another view.
    private static ConsumeResult<byte[], byte[]> Raw(ConsumeResult<byte[]?, byte[]?> result) => new()
    {
        Topic = result.Topic,
        Partition = result.Partition,
        Offset = result.Offset,
        LeaderEpoch = result.LeaderEpoch,
        Message = new Message<byte[], byte[]>
        {
            Key = result.Message.Key!,
            Value = result.Message.Value!,
            Timestamp = result.Message.Timestamp,
            Headers = result.Message.Headers,
        },
    };
}

using System.Text;
using Confluent.Kafka;
using Conveyor.Native.Consuming;
using Conveyor.Native.Producing;

namespace Conveyor.Tests.Native;

/// <summary>
/// The native consume path's reading of one <c>rd_kafka_message_t</c>, made in memory: the result,
/// partition end or exception Confluent.Kafka's <c>Consume</c> gives for the same message. The
/// same messages read from a broker by both paths are compared in the integration tests.
/// </summary>
public unsafe class ConsumedMessageTests
{
    private static readonly Timestamp At = new(1_700_000_000_123, TimestampType.CreateTime);

    [Fact]
    public void A_message_keeps_its_key_value_partition_offset_timestamp_epoch_and_headers()
    {
        var headers = new Headers { { "h", [1, 2] } };
        fixed (byte* key = "k1"u8, value = "value"u8)
        {
            var message = Message(key, 2, value, 5);
            var result = ConsumedMessage.Read(&message, new ConsumedMessage.Parts("orders", At, 7, headers), NoFatal);

            Assert.False(result.IsPartitionEOF);
            Assert.Equal(new TopicPartitionOffset("orders", 3, 41, 7), result.TopicPartitionOffset);
            Assert.Equal(7, result.LeaderEpoch);
            Assert.Equal("k1", Encoding.UTF8.GetString(result.Message.Key!));
            Assert.Equal("value", Encoding.UTF8.GetString(result.Message.Value!));
            Assert.Equal(At, result.Message.Timestamp);
            Assert.Same(headers, result.Message.Headers);
        }
    }

    [Fact]
    public void Key_and_value_are_copies_that_outlive_the_native_message()
    {
        var data = new byte[] { 1, 2, 3 };
        fixed (byte* value = data)
        {
            var message = Message(null, 0, value, 3);
            var result = ConsumedMessage.Read(&message, new ConsumedMessage.Parts("t", At, null, null), NoFatal);
            data[0] = 9; // librdkafka frees and reuses the memory once the message is destroyed

            Assert.Equal([1, 2, 3], result.Message.Value);
        }
    }

    [Fact]
    public void A_missing_key_stays_null_an_empty_value_stays_empty_and_no_headers_make_no_object()
    {
        fixed (byte* empty = new byte[1])
        {
            var message = Message(null, 0, empty, 0);
            var result = ConsumedMessage.Read(&message, new ConsumedMessage.Parts("t", At, null, null), NoFatal);

            Assert.Null(result.Message.Key);
            Assert.Empty(Assert.IsType<byte[]>(result.Message.Value));
            Assert.Null(result.Message.Headers);
            Assert.Null(result.LeaderEpoch);
        }
    }

    [Fact]
    public void A_partition_end_is_a_result_without_a_message()
    {
        var message = Message(null, 0, null, 0, error: (int)ErrorCode.Local_PartitionEOF);
        var result = ConsumedMessage.Read(&message, new ConsumedMessage.Parts("t", default, null, null), NoFatal);

        Assert.True(result.IsPartitionEOF);
        Assert.Null(result.Message);
        Assert.Equal(new TopicPartitionOffset("t", 3, 41), result.TopicPartitionOffset);
    }

    [Theory]
    [InlineData(ErrorCode.UnknownTopicOrPart)]
    [InlineData(ErrorCode.TopicAuthorizationFailed)]
    [InlineData(ErrorCode.OffsetOutOfRange)]
    [InlineData(ErrorCode.Local_MaxPollExceeded)]
    public void A_message_with_an_error_and_no_text_throws_with_librdkafkas_text_for_the_code(ErrorCode code)
    {
        var thrown = Thrown(Message(null, 0, null, 0, error: (int)code), NoFatal);

        var expected = new Error(code); // librdkafka's text for the code (rd_kafka_err2str)
        Assert.Equal((expected.Code, expected.Reason, false), (thrown.Error.Code, thrown.Error.Reason, thrown.Error.IsFatal));
        Assert.Equal(new TopicPartitionOffset("t", 3, 41), thrown.ConsumerRecord.TopicPartitionOffset);
    }

    [Fact]
    public void A_message_with_an_error_and_its_own_text_throws_with_that_text()
    {
        var text = "Subscribed topic not available: orders: Broker: Unknown topic or partition"u8.ToArray();
        fixed (byte* payload = text.Append((byte)0).ToArray())
        {
            var thrown = Thrown(Message(null, 0, payload, text.Length, error: (int)ErrorCode.UnknownTopicOrPart), NoFatal);

            Assert.Equal(ErrorCode.UnknownTopicOrPart, thrown.Error.Code);
            Assert.Equal("Subscribed topic not available: orders: Broker: Unknown topic or partition", thrown.Error.Reason);
            Assert.False(thrown.Error.IsFatal);
        }
    }

    [Fact]
    public void A_fatal_error_is_reported_as_the_clients_fatal_error()
    {
        var message = Message(null, 0, null, 0, error: (int)ErrorCode.Local_Fatal);
        var fatal = new Error(ErrorCode.OutOfOrderSequenceNumber, "the broker lost track of the sequence", isFatal: true);

        var thrown = Thrown(message, () => fatal);

        Assert.Same(fatal, thrown.Error);
    }

    private static ConsumeException Thrown(NativeMessage message, Func<Error> fatal)
    {
        try
        {
            ConsumedMessage.Read(&message, new ConsumedMessage.Parts("t", At, null, null), fatal);
        }
        catch (ConsumeException e)
        {
            return e;
        }

        throw new Xunit.Sdk.XunitException("no ConsumeException for a message with an error");
    }

    private static Error NoFatal() => throw new InvalidOperationException("only a fatal error asks for the client's fatal error");

    private static NativeMessage Message(byte* key, int keyLength, byte* value, int valueLength, int error = 0) => new()
    {
        Error = error,
        Partition = 3,
        Offset = 41,
        Key = (IntPtr)key,
        KeyLength = (nuint)keyLength,
        Payload = (IntPtr)value,
        Length = (nuint)valueLength,
    };
}

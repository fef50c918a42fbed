using System.Text;
using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Engine;
using Conveyor.Serialization;

namespace Conveyor.Tests.Serialization;

/// <summary>
/// Reading a message's key and value: answered at once by deserializers that answer at once,
/// awaited for those that answer later, and a failure names the message and the part that failed
/// either way (a declined message passes as declined).
/// </summary>
public class MessageReaderTests
{
    private static readonly ConsumeResult<byte[]?, byte[]?> Fetched = new()
    {
        TopicPartitionOffset = new TopicPartitionOffset("reader", 3, 17),
        Message = new Message<byte[]?, byte[]?> { Key = Encoding.UTF8.GetBytes("k"), Value = Encoding.UTF8.GetBytes("v") },
    };

    [Fact]
    public async Task Deserializers_that_answer_at_once_give_the_key_and_value_at_once()
    {
        var reader = new MessageReader<string, byte[]?>(MessageDeserializer<string>.Of((IDeserializer<string>?)null), MessageDeserializer<byte[]?>.Of((IDeserializer<byte[]?>?)null));

        var read = reader.ReadAsync(Fetched);

        Assert.True(read.IsCompletedSuccessfully);
        var (key, value) = await read;
        Assert.Equal("k", key);
        Assert.Same(Fetched.Message.Value, value);
    }

    [Fact]
    public async Task A_key_and_a_value_that_answer_later_are_awaited()
    {
        var key = new Later<string>();
        var value = new Later<string>();
        var reader = new MessageReader<string, string>(MessageDeserializer<string>.Of(key), MessageDeserializer<string>.Of(value));

        var read = reader.ReadAsync(Fetched);
        Assert.False(read.IsCompleted);
        key.Answer.SetResult("later-k");
        await value.Asked.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(read.IsCompleted);
        value.Answer.SetResult("later-v");

        Assert.Equal(("later-k", "later-v"), await read);
    }

    [Fact]
    public async Task A_key_that_fails_at_once_names_the_message_and_its_key()
    {
        var reader = new MessageReader<string, string>(MessageDeserializer<string>.Of(new Failing()), MessageDeserializer<string>.Of((IDeserializer<string>?)null));

        var failure = await Assert.ThrowsAsync<MessageDeserializationException>(async () => await reader.ReadAsync(Fetched));

        Assert.Equal("The key of reader[3]@17 could not be deserialized as String: unreadable", failure.Message);
        Assert.IsType<FormatException>(failure.InnerException);
    }

    [Fact]
    public async Task A_value_that_fails_later_names_the_message_and_its_value()
    {
        var value = new Later<string>();
        var reader = new MessageReader<string, string>(MessageDeserializer<string>.Of((IDeserializer<string>?)null), MessageDeserializer<string>.Of(value));

        var read = reader.ReadAsync(Fetched);
        value.Answer.SetException(new FormatException("late and unreadable"));
        var failure = await Assert.ThrowsAsync<MessageDeserializationException>(async () => await read);

        Assert.Equal("The value of reader[3]@17 could not be deserialized as String: late and unreadable", failure.Message);
    }

    [Fact]
    public async Task A_declined_message_is_not_called_unreadable()
    {
        var value = new Later<string>();
        var reader = new MessageReader<string, string>(MessageDeserializer<string>.Of(new Declining()), MessageDeserializer<string>.Of(value));
        await Assert.ThrowsAsync<DeclinedMessageException>(async () => await reader.ReadAsync(Fetched));

        var later = new MessageReader<string, string>(MessageDeserializer<string>.Of((IDeserializer<string>?)null), MessageDeserializer<string>.Of(value));
        var read = later.ReadAsync(Fetched);
        value.Answer.SetException(new DeclinedMessageException());
        await Assert.ThrowsAsync<DeclinedMessageException>(async () => await read);
    }

    private sealed class Later<T> : IAsyncDeserializer<T>
    {
        public TaskCompletionSource<T> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Asked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T> DeserializeAsync(ReadOnlyMemory<byte> data, bool isNull, SerializationContext context)
        {
            Asked.TrySetResult();
            return Answer.Task;
        }
    }

    private sealed class Failing : IDeserializer<string>
    {
        public string Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) => throw new FormatException("unreadable");
    }

    private sealed class Declining : IDeserializer<string>
    {
        public string Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) => throw new DeclinedMessageException();
    }
}

using Confluent.Kafka;
using Conveyor.Serialization;

namespace Conveyor.Tests.Serialization;

public class MessageDeserializerTests
{
    [Fact]
    public async Task A_byte_array_key_or_value_is_the_fetched_array_without_a_copy()
    {
        var fetched = new byte[] { 1, 2, 3 };
        var raw = MessageDeserializer<byte[]>.Of((IDeserializer<byte[]>?)null);

        var value = await raw.DeserializeAsync(fetched, new SerializationContext(MessageComponentType.Value, "raw-bytes"));

        Assert.Same(fetched, value); // the consumer already copied it out of the client for this message alone
        Assert.Null(await raw.DeserializeAsync(null, new SerializationContext(MessageComponentType.Key, "raw-bytes")));
    }

    [Fact]
    public async Task A_byte_array_deserializer_the_user_gives_is_used()
    {
        var fetched = new byte[] { 1, 2, 3 };
        var given = MessageDeserializer<byte[]>.Of(Deserializers.ByteArray);

        var value = await given.DeserializeAsync(fetched, new SerializationContext(MessageComponentType.Value, "given-bytes"));

        Assert.NotSame(fetched, value);
        Assert.Equal(fetched, value);
    }
}

using System.Text.Json;
using Confluent.Kafka;

namespace Conveyor.Serialization;

/// <summary>
/// Serializes message values as JSON with System.Text.Json. A null message value deserializes to
/// <c>default</c>; a value that is not valid JSON for <typeparamref name="T"/> throws
/// <see cref="JsonException"/>, which callers report with the message's partition and offset.
/// </summary>
/// <typeparam name="T">The value type.</typeparam>
public sealed class JsonValueSerializer<T> : ISerializer<T>, IDeserializer<T>
{
    private readonly JsonSerializerOptions _options;

    /// <summary>Creates the serializer; by default properties are camelCase, as JSON usually is.</summary>
    public JsonValueSerializer(JsonSerializerOptions? options = null)
    {
        _options = options ?? new JsonSerializerOptions(JsonSerializerDefaults.Web);
    }

    /// <inheritdoc />
    public byte[] Serialize(T data, SerializationContext context) =>
        JsonSerializer.SerializeToUtf8Bytes(data, _options);

    /// <inheritdoc />
    public T Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) =>
        isNull ? default! : JsonSerializer.Deserialize<T>(data, _options)!;
}

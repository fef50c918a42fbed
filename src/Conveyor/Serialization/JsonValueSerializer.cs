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

    /// <summary>
    /// Creates the serializer with <paramref name="options"/>, or with <see cref="CreateDefaultOptions"/>:
    /// pass your own (e.g. <c>new JsonValueSerializer&lt;Order&gt;(myOptions)</c> as a processor's value
    /// deserializer) to change naming, converters or strictness.
    /// </summary>
    public JsonValueSerializer(JsonSerializerOptions? options = null)
    {
        _options = options ?? CreateDefaultOptions();
    }

    /// <summary>
    /// The options used when none are given: camelCase properties (<see cref="JsonSerializerDefaults.Web"/>),
    /// and a message that lacks a constructor parameter without a default value (a positional
    /// record's property), lacks a <c>required</c> member, or has null where the type says it cannot
    /// be null, does not deserialize (<see cref="JsonException"/>, so it goes to the failure action)
    /// instead of arriving with a default value in its place. Properties that are neither stay optional.
    /// </summary>
    public static JsonSerializerOptions CreateDefaultOptions() => new(JsonSerializerDefaults.Web)
    {
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };

    /// <inheritdoc />
    public byte[] Serialize(T data, SerializationContext context) =>
        JsonSerializer.SerializeToUtf8Bytes(data, _options);

    /// <inheritdoc />
    public T Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) =>
        isNull ? default! : JsonSerializer.Deserialize<T>(data, _options)!;
}

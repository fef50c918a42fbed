using Confluent.Kafka;

namespace Conveyor.Serialization;

/// <summary>
/// A key or value deserializer as the engine calls it: a Confluent.Kafka <see cref="IDeserializer{T}"/>
/// (answered at once) or <see cref="IAsyncDeserializer{T}"/> (awaited: Schema Registry serdes fetch
/// schemas over HTTP), or, when neither is given, the default for the type: UTF-8 for strings, raw
/// for byte arrays, nothing for <see cref="Null"/> and <see cref="Ignore"/>, JSON otherwise. Raw
/// bytes are the fetched array itself, not a copy: the consumer already copied them out of the
/// client's buffer for this message alone, and a copy per key and value was most of what a no-op
/// handler allocated.
/// </summary>
internal sealed class MessageDeserializer<T>
{
    private readonly IDeserializer<T>? _sync;
    private readonly IAsyncDeserializer<T>? _async;
    private readonly bool _raw;

    private MessageDeserializer(IDeserializer<T>? sync, IAsyncDeserializer<T>? async, bool raw = false, bool builtIn = false)
    {
        _sync = sync;
        _async = async;
        _raw = raw;
        ReadsHeaders = !builtIn;
    }

    /// <summary>Whether the deserializer may read the message's headers: only one the user gave (the built-in ones never do).</summary>
    public bool ReadsHeaders { get; }

    public static MessageDeserializer<T> Of(IDeserializer<T>? deserializer) =>
        deserializer is null && typeof(T) == typeof(byte[]) ? new(null, null, raw: true, builtIn: true) : new(deserializer ?? Default(), null, builtIn: deserializer is null);

    public static MessageDeserializer<T> Of(IAsyncDeserializer<T>? deserializer) => deserializer is null ? Of((IDeserializer<T>?)null) : new(null, deserializer);

    public ValueTask<T> DeserializeAsync(byte[]? data, SerializationContext context) =>
        _raw ? ValueTask.FromResult((T)(object)data!)
        : _sync is not null
            ? ValueTask.FromResult(_sync.Deserialize(data, data is null, context))
            : new ValueTask<T>(_async!.DeserializeAsync(data, data is null, context));

    private static IDeserializer<T> Default() => typeof(T) switch
    {
        var t when t == typeof(string) => (IDeserializer<T>)Deserializers.Utf8,
        var t when t == typeof(Null) => (IDeserializer<T>)Deserializers.Null,
        var t when t == typeof(Ignore) => (IDeserializer<T>)Deserializers.Ignore,
        _ => new JsonValueSerializer<T>(),
    };
}

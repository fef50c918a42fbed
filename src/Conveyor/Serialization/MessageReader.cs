using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Engine;

namespace Conveyor.Serialization;

/// <summary>
/// Reads a fetched message's key and value with the processor's deserializers. Every message
/// passes here once per attempt: when both deserializers answer at once (the built-in ones, any
/// <see cref="IDeserializer{T}"/>) it returns without an async state machine; one that must be
/// awaited (an <see cref="IAsyncDeserializer{T}"/> still working) is awaited from there on.
/// </summary>
internal sealed class MessageReader<TKey, TValue>
{
    private readonly MessageDeserializer<TKey> _keys;
    private readonly MessageDeserializer<TValue> _values;

    public MessageReader(MessageDeserializer<TKey> keys, MessageDeserializer<TValue> values)
    {
        _keys = keys;
        _values = values;
    }

    /// <summary>The key and value; fails with <see cref="MessageDeserializationException"/> naming the message, or passes a <see cref="DeclinedMessageException"/> on.</summary>
    public ValueTask<(TKey Key, TValue Value)> ReadAsync(ConsumeResult<byte[]?, byte[]?> result)
    {
        var message = result.Message;
        if (message.Headers is null && (_keys.ReadsHeaders || _values.ReadsHeaders))
        {
            // Read natively, a message without headers has none (no object made): a user's deserializer gets an empty set, as from Confluent.Kafka.
            message.Headers = [];
        }

        ValueTask<TKey> key;
        try
        {
            key = _keys.DeserializeAsync(message.Key, new SerializationContext(MessageComponentType.Key, result.Topic, message.Headers));
        }
        catch (Exception e) when (e is not DeclinedMessageException)
        {
            throw KeyUnreadable(result, e);
        }

        if (!key.IsCompletedSuccessfully)
        {
            return ReadLaterAsync(result, key);
        }

        var value = ReadValue(result);
        return value.IsCompletedSuccessfully ? new ValueTask<(TKey, TValue)>((key.Result, value.Result)) : ValueLaterAsync(result, key.Result, value);
    }

    private async ValueTask<(TKey Key, TValue Value)> ReadLaterAsync(ConsumeResult<byte[]?, byte[]?> result, ValueTask<TKey> reading)
    {
        TKey key;
        try
        {
            key = await reading.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not DeclinedMessageException)
        {
            throw KeyUnreadable(result, e);
        }

        return await ValueLaterAsync(result, key, ReadValue(result)).ConfigureAwait(false);
    }

    private static async ValueTask<(TKey Key, TValue Value)> ValueLaterAsync(ConsumeResult<byte[]?, byte[]?> result, TKey key, ValueTask<TValue> reading)
    {
        try
        {
            return (key, await reading.ConfigureAwait(false));
        }
        catch (Exception e) when (e is not DeclinedMessageException)
        {
            throw ValueUnreadable(result, e);
        }
    }

    /// <summary>Starts reading the value; a deserializer that fails at once fails here.</summary>
    private ValueTask<TValue> ReadValue(ConsumeResult<byte[]?, byte[]?> result)
    {
        try
        {
            var message = result.Message;
            return _values.DeserializeAsync(message.Value, new SerializationContext(MessageComponentType.Value, result.Topic, message.Headers));
        }
        catch (Exception e) when (e is not DeclinedMessageException)
        {
            throw ValueUnreadable(result, e);
        }
    }

    private static MessageDeserializationException KeyUnreadable(ConsumeResult<byte[]?, byte[]?> result, Exception e) =>
        new($"The key of {Positions.Of(result.TopicPartitionOffset)} could not be deserialized as {typeof(TKey).Name}: {e.Message}", e);

    private static MessageDeserializationException ValueUnreadable(ConsumeResult<byte[]?, byte[]?> result, Exception e) =>
        new($"The value of {Positions.Of(result.TopicPartitionOffset)} could not be deserialized as {typeof(TValue).Name}: {e.Message}", e);

}

using Confluent.Kafka;
using Conveyor.Processing.Engine;

namespace Conveyor.Cli.Tutorial;

/// <summary>
/// <c>--max-messages N</c> on the engine: the first N messages to reach a handler (or to fail
/// decoding, which goes straight to the dead-letter topic) are taken; every later one is declined,
/// so it stays unfinished and uncommitted instead of being handled by the workers that race ahead
/// while the stop is on its way. Retries of a taken message are not new messages.
/// </summary>
internal sealed class MessageBudget(int? max)
{
    private int _taken;

    /// <summary>Takes one message, or throws <see cref="DeclinedMessageException"/> when N were taken.</summary>
    public void Take()
    {
        if (!TryTake())
        {
            throw new DeclinedMessageException();
        }
    }

    /// <summary>Takes one message; false when N were taken.</summary>
    public bool TryTake() => max is not { } limit || Interlocked.Increment(ref _taken) <= limit;

    /// <summary>A deserializer whose failures (dead-lettered without a handler call) take from the budget too.</summary>
    public IDeserializer<T> Counting<T>(IDeserializer<T> inner) => max is null ? inner : new CountingDeserializer<T>(inner, this);

    private sealed class CountingDeserializer<T>(IDeserializer<T> inner, MessageBudget budget) : IDeserializer<T>
    {
        public T Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context)
        {
            try
            {
                return inner.Deserialize(data, isNull, context);
            }
            catch (Exception) when (!budget.TryTake())
            {
                throw new DeclinedMessageException();
            }
        }
    }
}

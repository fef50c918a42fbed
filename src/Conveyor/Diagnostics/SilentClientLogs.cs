using Confluent.Kafka;

namespace Conveyor.Diagnostics;

/// <summary>
/// The one owner of a decision: a client Conveyor makes for itself (a probe, a look-up, a CLI
/// command's own producer or consumer) keeps librdkafka's log lines off standard error. Without a
/// handler librdkafka writes them there, and a cluster that dies or cannot be reached mid-command
/// floods the terminal with them; what went wrong reaches the user as the command's one error line.
/// Clients whose lines go somewhere useful (the processor's observer, a tutorial's error stream)
/// set their own handler instead.
/// </summary>
internal static class SilentClientLogs
{
    /// <summary>Drops librdkafka's log lines of the consumer built.</summary>
    public static ConsumerBuilder<TKey, TValue> WithoutLogLines<TKey, TValue>(this ConsumerBuilder<TKey, TValue> builder) =>
        builder.SetLogHandler(Drop);

    /// <summary>Drops librdkafka's log lines of the producer built.</summary>
    public static ProducerBuilder<TKey, TValue> WithoutLogLines<TKey, TValue>(this ProducerBuilder<TKey, TValue> builder) =>
        builder.SetLogHandler(Drop);

    /// <summary>Drops librdkafka's log lines of the admin client built.</summary>
    public static AdminClientBuilder WithoutLogLines(this AdminClientBuilder builder) =>
        builder.SetLogHandler(Drop);

    /// <summary>The handler itself, for a caller that takes a handler rather than a builder.</summary>
    public static void Drop<TClient>(TClient client, LogMessage message)
    {
    }
}

using Confluent.Kafka;

namespace Conveyor.Diagnostics;

/// <summary>What the poll loop reports beyond <see cref="Processing.IProcessorObserver"/>: liveness, commit timing, client statistics.</summary>
internal interface IEngineTelemetry
{
    /// <summary>The poll loop went round once (it polls at least every 50 ms while healthy).</summary>
    void Polled();

    /// <summary>A synchronous commit took <paramref name="elapsed"/>; <paramref name="succeeded"/> false if any offset was refused.</summary>
    void CommitTimed(TimeSpan elapsed, bool succeeded);

    /// <summary>librdkafka's statistics JSON (every <c>statistics.interval.ms</c>).</summary>
    void Statistics(string json);

    /// <summary>
    /// Fetched, unfinished messages per assigned partition now, and the offset each would be
    /// committed at (everything below it finished), reported about twice a second.
    /// </summary>
    void Buffered(IReadOnlyDictionary<TopicPartition, int> buffered, IReadOnlyDictionary<TopicPartition, long> committable);

    /// <summary>One of librdkafka's own log lines.</summary>
    void ClientLog(LogMessage message);
}

using System.Diagnostics;
using Confluent.Kafka;

namespace Conveyor.Diagnostics;

/// <summary>
/// Why a cluster cannot be used, in librdkafka's words: whether it makes clients with these settings
/// at all, and whether the cluster answers a metadata request in time. While it asks it listens to
/// the client's errors and log lines (<see cref="ProbeProblems"/>), so a refused connection, a host
/// name that does not resolve or a failed TLS or SASL handshake ends the wait at once and is named,
/// not reported as a plain "unreachable". One diagnosis for the CLI (before a command runs), for a
/// processor that cannot start (<c>AvailabilityWatch</c>) and for hosting's check at start.
/// </summary>
internal static class ClusterDiagnosis
{
    private static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(500);

    /// <summary>How librdkafka's refusal to make a client is told, before the caller's advice.</summary>
    public static string CannotCreate(string reason) => $"librdkafka cannot create a client with these settings: {reason}";

    /// <summary>
    /// Makes a consumer and a producer with these settings and throws them away: librdkafka checks
    /// some settings only when it creates a client (an unknown <c>sasl.mechanisms</c>, missing TLS
    /// files). Returns librdkafka's refusal in its words, or null when it makes both.
    /// </summary>
    public static string? ClientRefusal(ConsumerConfig consumer, ProducerConfig producer)
    {
        try
        {
            // Not subscribed and closed at once: nothing joins a group; the log handlers keep
            // librdkafka's connection attempts to a not-yet-running broker off the console.
            using (new ConsumerBuilder<byte[]?, byte[]?>(consumer).WithoutLogLines().SetErrorHandler((_, _) => { }).Build())
            {
            }

            using (new ProducerBuilder<byte[]?, byte[]?>(producer).WithoutLogLines().SetErrorHandler((_, _) => { }).Build())
            {
            }

            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or KafkaException or ArgumentException)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// Asks the cluster for its metadata (every topic: asking for one could create it on a broker
    /// that auto-creates) until it answers, a problem that waiting cannot heal shows, or
    /// <paramref name="timeout"/> passes.
    /// </summary>
    /// <param name="config">The client's settings.</param>
    /// <param name="timeout">How long the cluster gets to answer.</param>
    /// <param name="log">Also hears librdkafka's log lines (the CLI prints them when asked to).</param>
    /// <exception cref="InvalidOperationException">librdkafka cannot make a client with these settings.</exception>
    public static ClusterAnswer Ask(AdminClientConfig config, TimeSpan timeout, Action<IClient, LogMessage>? log = null)
    {
        var problems = new ProbeProblems();
        using var admin = new AdminClientBuilder(config)
            .SetLogHandler((client, message) =>
            {
                problems.Note(message);
                log?.Invoke(client, message);
            })
            .SetErrorHandler((_, error) => problems.Note(error))
            .Build();
        var started = Stopwatch.GetTimestamp(); // monotonic: a wall-clock step must not shorten or stretch the wait
        while (true)
        {
            try
            {
                var remaining = timeout - Stopwatch.GetElapsedTime(started);
                return new ClusterAnswer(admin.GetMetadata(remaining < Slice ? (remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1)) : Slice), null, null);
            }
            catch (KafkaException e)
            {
                problems.Note(e.Error);
                if (problems.Refused is { } refused)
                {
                    // Nothing listens there: waiting out the timeout would only delay the same answer.
                    return new ClusterAnswer(null, ClusterTrouble.Refused, refused);
                }

                if (problems.Hopeless is { } hopeless)
                {
                    return new ClusterAnswer(null, ClusterTrouble.Hopeless, hopeless.Reason, hopeless.Cause);
                }

                if (Stopwatch.GetElapsedTime(started) >= timeout)
                {
                    return new ClusterAnswer(null, ClusterTrouble.NoAnswer, problems.Cause(e.Error));
                }
            }
        }
    }
}

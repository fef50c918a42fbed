using Confluent.Kafka;
using Conveyor.Diagnostics;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Notices a processor that cannot start: no partition assigned within
/// <see cref="ProcessorOptions.UnavailableTimeout"/>. It then asks
/// the cluster, off the poll thread, why: unreachable (or refusing the client: authentication,
/// TLS), or a subscribed topic that does not exist. The answer goes to
/// <see cref="IProcessorObserver.OnUnavailable"/> (and so to the status, logs and health check);
/// with <see cref="ProcessorOptions.FailWhenUnavailable"/> the poll loop then stops. A member that
/// simply has no partitions (more members than partitions) is not reported: its cluster answers and
/// its topics exist. Some problems need no timeout: every broker down before the start (a refused
/// connection: nothing listens there) and a group protocol the cluster does not support are reported
/// at the next poll. The poll loop calls <see cref="Noted(Error)"/>, <see cref="Assigned"/> and <see cref="Check"/>;
/// <see cref="Definite"/> may come from librdkafka's log thread.
/// </summary>
internal sealed class AvailabilityWatch
{
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(5);

    private readonly ConsumerConfig _config;
    private readonly ProcessorOptions _options;
    private readonly IProcessorObserver _observer;
    private readonly Func<ConsumerConfig, IReadOnlyList<string>, Error?, string?> _diagnose;
    private readonly Func<ConsumerConfig, IReadOnlyList<string>, IReadOnlyList<string>> _findMissing;
    private readonly bool _asksCluster;
    private DateTime? _since;
    private bool _started;
    private Error? _lastError;
    private Error? _lastTransportError;
    private string? _definite;
    private bool _definiteReported;
    private Task<string?>? _diagnosis;

    /// <param name="config">The consumer's settings, to ask the cluster with.</param>
    /// <param name="options">The timeout, the topics, and whether to fail.</param>
    /// <param name="observer">Hears the problem, once per diagnosis.</param>
    /// <param name="diagnose">Finds the problem (tests replace it); default: <see cref="Diagnose"/>.</param>
    /// <param name="asksCluster">Whether to look up missing dead-letter and retry topics with a client of its own (not in a simulation).</param>
    /// <param name="findMissing">Which of the failure topics the cluster lacks (tests replace it); default: <see cref="FindMissing"/>.</param>
    public AvailabilityWatch(
        ConsumerConfig config, ProcessorOptions options, IProcessorObserver observer,
        Func<ConsumerConfig, IReadOnlyList<string>, Error?, string?>? diagnose = null,
        bool asksCluster = true,
        Func<ConsumerConfig, IReadOnlyList<string>, IReadOnlyList<string>>? findMissing = null)
    {
        _findMissing = findMissing ?? FindMissing;
        _asksCluster = asksCluster;
        _config = config;
        _options = options;
        _observer = observer;
        _diagnose = diagnose ?? Diagnose;
    }

    /// <summary>The problem found, once found; null while there is none (or the processor started).</summary>
    public string? Problem { get; private set; }

    /// <summary>Whether the cluster is being asked now, in the background.</summary>
    public bool Diagnosing => _diagnosis is not null;

    /// <summary>The diagnosis running now, for tests to await (null when none runs).</summary>
    internal Task? Diagnosis => _diagnosis;

    /// <summary>The look-up of the failure topics at the first assignment, for tests to await (null before it).</summary>
    internal Task? FailureTopicsLookUp { get; private set; }

    /// <summary>The client reported an error.</summary>
    public void Noted(Error error)
    {
        if (_started || !error.IsError)
        {
            return;
        }

        if (error.Code == ErrorCode.Local_AllBrokersDown)
        {
            // "1/1 brokers are down" says less than the transport error before it.
            Definite($"cannot reach the cluster at {_config.BootstrapServers}: every broker is down{(_lastTransportError is { } transport ? $" ({transport.Reason})" : string.Empty)}");
            return;
        }

        if (error.Code == ErrorCode.Local_Transport)
        {
            _lastTransportError = error;
        }

        _lastError = error;
    }

    /// <summary>A problem that cannot heal by waiting out <see cref="ProcessorOptions.UnavailableTimeout"/>: reported at the next poll.</summary>
    public void Definite(string problem) => Interlocked.CompareExchange(ref _definite, problem, null);

    /// <summary>
    /// Partitions were assigned: the processor reached its cluster and topics. The first time, the
    /// topics failed messages go to are looked up, off the poll thread, and any missing is reported once.
    /// </summary>
    public void Assigned(int partitions)
    {
        if (partitions > 0)
        {
            if (!_started && _asksCluster && FailureTopics(_options) is { Count: > 0 } failureTopics)
            {
                // Blocks until the cluster answers (up to MetadataTimeout): not on the pool the workers need.
                FailureTopicsLookUp = OwnThread.Run(() => ReportMissing(failureTopics));
            }

            _started = true;
            Problem = null;
        }
    }

    /// <summary>The dead-letter topics and, with retry topics, the retry topics: written only when a message fails.</summary>
    public static IReadOnlyList<string> FailureTopics(ProcessorOptions options) => options.OnFailure switch
    {
        FailureAction.DeadLetter => [.. options.Topics.Select(options.DeadLetterTopicFor).Distinct()],
        FailureAction.RetryTopics => [.. RetryTopics.RetryRoute.Subscriptions(options).Except(options.Topics), .. options.Topics.Select(options.DeadLetterTopicFor).Distinct()],
        _ => [],
    };

    private void ReportMissing(IReadOnlyList<string> topics)
    {
        try
        {
            if (_findMissing(_config, topics) is { Count: > 0 } missing)
            {
                _observer.OnFailureTopicsMissing(missing);
            }
        }
        catch (Exception e) when (e is KafkaException or InvalidOperationException)
        {
            // Not known now: the first failure tells, as it would have without this look-up.
        }
    }

    /// <summary>The <paramref name="topics"/> the cluster does not have, from all topics' metadata (asking for one could create it).</summary>
    public static IReadOnlyList<string> FindMissing(ConsumerConfig config, IReadOnlyList<string> topics)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig(config)).WithoutLogLines().Build();
        var metadata = admin.GetMetadata(MetadataTimeout);
        return [.. topics.Where(t => !metadata.Topics.Any(m => m.Topic == t && !m.Error.IsError))];
    }

    /// <summary>Called on every poll; returns the problem when the processor should stop because of it.</summary>
    public string? Check(DateTime now)
    {
        if (_started)
        {
            return null;
        }

        _since ??= now;
        if (!_definiteReported && Volatile.Read(ref _definite) is { } definite)
        {
            _definiteReported = true; // once: later changes come from the timed diagnosis
            Problem = definite;
            _observer.OnUnavailable(definite);
            return _options.FailWhenUnavailable ? definite : null;
        }

        if (_diagnosis is { IsCompleted: true } done)
        {
            _diagnosis = null;
            _since = now; // ask again after another timeout if nothing changes
            if (done.IsCompletedSuccessfully && done.Result is { } problem && !_started)
            {
                Problem = problem;
                _observer.OnUnavailable(problem);
                return _options.FailWhenUnavailable ? problem : null;
            }
        }
        else if (_diagnosis is null && now - _since >= _options.UnavailableTimeout)
        {
            // Asked even without an error: librdkafka reports a missing topic only after
            // topic.metadata.propagation.max.ms (30 s), and not at all on some paths.
            var topics = _options.Topics;
            var lastError = _lastError;
            _diagnosis = OwnThread.Run(() => _diagnose(_config, topics, lastError)); // blocks as the look-up above
        }

        return null;
    }

    /// <summary>
    /// Asks the cluster for its metadata (<see cref="ClusterDiagnosis"/>): unreachable, in the client's
    /// words (a refused connection or a failed handshake named as such), or which topics are missing;
    /// null when all is there.
    /// </summary>
    public static string? Diagnose(ConsumerConfig config, IReadOnlyList<string> topics, Error? lastError)
    {
        var last = lastError is { } error ? $": {error.Reason}" : string.Empty;
        ClusterAnswer answer;
        try
        {
            answer = ClusterDiagnosis.Ask(new AdminClientConfig(config), MetadataTimeout);
        }
        catch (InvalidOperationException)
        {
            return null; // no client could be made to ask with; the consumer's own errors still go to OnError
        }

        if (answer.Metadata is not { } metadata)
        {
            return answer.Trouble switch
            {
                ClusterTrouble.Refused => $"cannot reach the cluster at {config.BootstrapServers}: every broker refused the connection ({answer.Reason})",
                ClusterTrouble.Hopeless => $"cannot reach the cluster at {config.BootstrapServers}: {answer.Reason}",
                _ => $"cannot reach the cluster at {config.BootstrapServers}{(last.Length > 0 ? last : $": {answer.Reason}")}",
            };
        }

        var missing = topics.Where(t => !metadata.Topics.Any(m => m.Topic == t && !m.Error.IsError)).ToList();
        if (missing.Count > 0)
        {
            return missing.Count == 1
                ? $"topic '{missing[0]}' does not exist on {config.BootstrapServers}; create it, or subscribe to another"
                : $"topics {string.Join(", ", missing.Select(t => $"'{t}'"))} do not exist on {config.BootstrapServers}; create them, or subscribe to others";
        }

        return lastError is { Code: ErrorCode.Local_Authentication or ErrorCode.SaslAuthenticationFailed or ErrorCode.GroupAuthorizationFailed or ErrorCode.TopicAuthorizationFailed }
            ? $"the cluster at {config.BootstrapServers} refuses the consumer{last}"
            : null;
    }
}

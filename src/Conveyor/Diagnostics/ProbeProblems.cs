using Confluent.Kafka;

namespace Conveyor.Diagnostics;

/// <summary>
/// What librdkafka said while the probe waited: its errors and warning log lines, kept so a
/// failure can be told in its words, and whether one of them cannot heal by waiting.
/// </summary>
internal sealed class ProbeProblems
{
    private readonly Lock _gate = new();
    private string? _lastError;
    private string? _lastWarning;
    private HopelessProblem? _hopeless;
    private string? _refused;
    private string? _lastRefusal;
    private readonly Dictionary<string, bool> _brokersRefused = [];

    /// <summary>A problem retrying will not fix (DNS, TLS, authentication, a server that does not speak Kafka), in librdkafka's words with its kind; null while there is none.</summary>
    public HopelessProblem? Hopeless
    {
        get
        {
            lock (_gate)
            {
                return _hopeless;
            }
        }
    }

    /// <summary>
    /// Set once every broker tried refused the connection (librdkafka's "all brokers down" after a
    /// "Connection refused" from each): nothing listens there, in librdkafka's words; null otherwise.
    /// </summary>
    public string? Refused
    {
        get
        {
            lock (_gate)
            {
                return _refused;
            }
        }
    }

    public void Note(Error error)
    {
        if (!error.IsError || error.Code is ErrorCode.Local_TimedOut)
        {
            return;
        }

        lock (_gate)
        {
            _hopeless ??= ForeignAnswer.Explain(error.Reason);
            NoteRefusal(error);
            if (error.Code is not (ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown))
            {
                _lastError = error.Reason;
            }

            if (error.Code is ErrorCode.Local_Resolve)
            {
                _hopeless ??= new(HopelessCause.HostName, Trim(error.Reason));
            }
            else if (error.Code is ErrorCode.Local_Authentication or ErrorCode.Local_Ssl or ErrorCode.SaslAuthenticationFailed
                or ErrorCode.UnsupportedSaslMechanism or ErrorCode.IllegalSaslState or ErrorCode.TopicAuthorizationFailed
                or ErrorCode.ClusterAuthorizationFailed)
            {
                _hopeless ??= new(HopelessCause.Security, Trim(error.Reason));
            }
        }
    }

    public void Note(LogMessage log)
    {
        if (log.Level > SyslogLevel.Warning)
        {
            return;
        }

        lock (_gate)
        {
            _hopeless ??= ForeignAnswer.Explain(log.Message);
            _lastWarning = log.Message;
            if (log.Message.Contains("Failed to resolve", StringComparison.Ordinal))
            {
                _hopeless ??= new(HopelessCause.HostName, Trim(log.Message));
            }
            else if (log.Message.Contains("SASL", StringComparison.Ordinal)
                || log.Message.Contains("SSL handshake failed", StringComparison.Ordinal))
            {
                _hopeless ??= new(HopelessCause.Security, Trim(log.Message));
            }
        }
    }

    // A transport error reads "host:port/id: Connect to ipv4#host:port failed: Connection refused (after 0ms in state CONNECT)".
    private void NoteRefusal(Error error)
    {
        if (error.Code is ErrorCode.Local_Transport && error.Reason.IndexOf(": ", StringComparison.Ordinal) is > 0 and var end)
        {
            var refused = error.Reason.Contains("Connection refused", StringComparison.Ordinal);
            _brokersRefused[error.Reason[..end]] = refused;
            if (refused)
            {
                _lastRefusal = Trim(error.Reason[(end + 2)..]);
            }
        }
        else if (error.Code is ErrorCode.Local_AllBrokersDown && _brokersRefused.Count > 0 && _brokersRefused.Values.All(r => r))
        {
            _refused ??= _lastRefusal;
        }
    }

    /// <summary>The best words for why the cluster did not answer: librdkafka's last specific error or warning, else <paramref name="last"/>.</summary>
    public string Cause(Error last)
    {
        lock (_gate)
        {
            return Trim(_lastError ?? _lastWarning ?? last.Reason);
        }
    }

    // librdkafka's log lines start with "[thrd:...]: ", which says nothing to a user.
    private static string Trim(string text)
    {
        text = text.Trim();
        if (text.StartsWith("[thrd:", StringComparison.Ordinal) && text.IndexOf("]: ", StringComparison.Ordinal) is > 0 and var end)
        {
            text = text[(end + 3)..];
        }

        return text.TrimEnd('.');
    }
}

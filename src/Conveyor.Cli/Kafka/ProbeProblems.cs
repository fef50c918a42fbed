using Confluent.Kafka;

namespace Conveyor.Cli.Kafka;

/// <summary>
/// What librdkafka said while the probe waited: its errors and warning log lines, kept so a
/// failure can be told in its words, and whether one of them cannot heal by waiting.
/// </summary>
internal sealed class ProbeProblems
{
    private readonly Lock _gate = new();
    private string? _lastError;
    private string? _lastWarning;
    private string? _hopeless;

    /// <summary>A problem retrying will not fix (DNS, TLS, authentication), in librdkafka's words; null while there is none.</summary>
    public string? Hopeless
    {
        get
        {
            lock (_gate)
            {
                return _hopeless;
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
            if (error.Code is not (ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown))
            {
                _lastError = error.Reason;
            }

            if (error.Code is ErrorCode.Local_Authentication or ErrorCode.Local_Resolve or ErrorCode.Local_Ssl or ErrorCode.SaslAuthenticationFailed
                or ErrorCode.UnsupportedSaslMechanism or ErrorCode.IllegalSaslState or ErrorCode.TopicAuthorizationFailed
                or ErrorCode.ClusterAuthorizationFailed)
            {
                _hopeless ??= Trim(error.Reason);
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
            _lastWarning = log.Message;
            if (log.Message.Contains("Failed to resolve", StringComparison.Ordinal)
                || log.Message.Contains("SASL", StringComparison.Ordinal)
                || log.Message.Contains("SSL handshake failed", StringComparison.Ordinal))
            {
                _hopeless ??= Trim(log.Message);
            }
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

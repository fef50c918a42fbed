namespace Conveyor.Diagnostics;

/// <summary>
/// What kind of problem that waiting cannot heal stopped a cluster probe, so each caller can say what
/// to check without reading librdkafka's words (<see cref="HopelessProblem"/>).
/// </summary>
internal enum HopelessCause
{
    /// <summary>A host name in <c>bootstrap.servers</c> does not resolve.</summary>
    HostName,

    /// <summary>The address answered in another protocol (a web server's HTTP): it is not a Kafka listener.</summary>
    NotKafka,

    /// <summary>TLS, SASL or authorization: the client's security settings do not match the cluster's listeners.</summary>
    Security,
}

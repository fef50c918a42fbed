namespace Conveyor.Diagnostics;

/// <summary>Why a cluster gave no metadata (<see cref="ClusterAnswer"/>).</summary>
internal enum ClusterTrouble
{
    /// <summary>Every broker tried refused the connection: nothing listens there.</summary>
    Refused,

    /// <summary>A problem waiting cannot heal: a host name that does not resolve, TLS, SASL, authorization.</summary>
    Hopeless,

    /// <summary>No answer within the time, without a reason that ends the wait sooner.</summary>
    NoAnswer,
}

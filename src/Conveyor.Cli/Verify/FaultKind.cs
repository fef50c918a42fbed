namespace Conveyor.Cli.Verify;

/// <summary>The faults the verifier injects; all are on by default.</summary>
[Flags]
internal enum FaultKind
{
    None = 0,

    /// <summary>Handler exceptions, transient and permanent (in the workers).</summary>
    HandlerErrors = 1,

    /// <summary>Slow handlers (in the workers).</summary>
    SlowHandlers = 2,

    /// <summary>SIGKILL of a worker, then a new one.</summary>
    Kill = 4,

    /// <summary>SIGTERM of a worker, then a new one.</summary>
    Restart = 8,

    /// <summary>An extra worker joins, or leaves again (not before <see cref="FaultInjector.MinimumMembership"/>).</summary>
    JoinLeave = 16,

    /// <summary>Request errors on Fetch, OffsetCommit, Produce, JoinGroup and SyncGroup (embedded broker only).</summary>
    BrokerErrors = 32,

    /// <summary>Dropped connections (embedded broker only).</summary>
    DropConnections = 64,

    /// <summary>
    /// A broker that leads some partitions down for a moment, then up (embedded broker only). The
    /// embedded cluster has three brokers and this is never the group coordinator: librdkafka 2.14.2's
    /// mock aborted when the coordinator went down under a classic group (2.16.0 did not in 5 checks; assertion in
    /// rd_kafka_mock_cgrp_classic_member_add when a member re-joins while its earlier JoinGroup is held).
    /// </summary>
    BrokerDown = 128,

    All = HandlerErrors | SlowHandlers | Kill | Restart | JoinLeave | BrokerErrors | DropConnections | BrokerDown,
}

namespace Conveyor.IntegrationTests.Support;

// Each collection has an embedded cluster of its own (EmbeddedKafkaFixture). Its tests run one
// after another, so a test may throw the cluster's fault switches without hurting another; the
// collections run side by side (Parallelism.cs). They split the tests by area, and the long
// rebalance tests from the rest of the engine's, so that no one collection's tests are left to run
// alone at the end of the suite.

/// <summary>The engine's tests on one cluster: processing, forwarding, retry topics, hosting, diagnostics.</summary>
[CollectionDefinition(Name)]
public sealed class ProcessingCollection : ICollectionFixture<EmbeddedKafkaFixture>
{
    public const string Name = "embedded kafka: processing";
}

/// <summary>Tests whose members join and leave a group mid-stream (each rebalance takes seconds).</summary>
[CollectionDefinition(Name)]
public sealed class RebalanceCollection : ICollectionFixture<EmbeddedKafkaFixture>
{
    public const string Name = "embedded kafka: rebalances";
}

/// <summary>The CLI's commands on one cluster.</summary>
[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<EmbeddedKafkaFixture>
{
    public const string Name = "embedded kafka: cli";
}

/// <summary>The fleet and the dashboards on one cluster.</summary>
[CollectionDefinition(Name)]
public sealed class FleetCollection : ICollectionFixture<EmbeddedKafkaFixture>
{
    public const string Name = "embedded kafka: fleet and dashboards";
}

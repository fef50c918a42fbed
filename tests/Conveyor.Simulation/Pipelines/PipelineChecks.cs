using Conveyor.Processing;
using Conveyor.Processing.Batching;

namespace Conveyor.Simulation.Pipelines;

/// <summary>
/// The invariants of the pipelines beyond a plain handler, for one run (every incarnation):
/// forwarding's outputs (<see cref="OutputLedger"/>) and at-most-once's order of commit and handling.
/// </summary>
internal sealed class PipelineChecks
{
    private readonly SimWorld _world;
    private readonly HashSet<(int Partition, long Offset)> _handled = [];

    public PipelineChecks(SimWorld world)
    {
        _world = world;
        Kind = world.Cluster.Schedule.Pipeline;
        Outputs = new OutputLedger(world);
        Transactions = new TransactionLedger(world);
        Retries = new RetryLedger(world);
        if (Kind == Pipeline.Forwarding)
        {
            world.Checker.BeforeCommit = Outputs.Committing;
        }

        // At-most-once commits past messages before they are handled, on purpose.
        world.Checker.CommitsBeforeHandling = Kind == Pipeline.AtMostOnce;
    }

    public Pipeline Kind { get; }

    public OutputLedger Outputs { get; }

    public TransactionLedger Transactions { get; }

    public RetryLedger Retries { get; }

    /// <summary>
    /// A handler call starts. At-most-once: its offset was committed before (so a crash cannot make
    /// it run again), and no message is delivered to a handler twice (retries of one delivery aside).
    /// </summary>
    public void HandlerStarting(int partition, long offset, int attempt)
    {
        if (Kind == Pipeline.RetryTopics)
        {
            Retries.Turns.Starting(partition);
        }

        if (Kind != Pipeline.AtMostOnce)
        {
            return;
        }

        if (_world.Cluster.Committed[partition] <= offset)
        {
            _world.Checker.Fail("handled-before-commit", $"at-most-once: p{partition}@{offset}'s handler started while p{partition} is committed at {_world.Cluster.Committed[partition]}, not past it");
        }

        if (attempt == 1 && !_handled.Add((partition, offset)))
        {
            _world.Checker.Fail("handled-twice", $"at-most-once: p{partition}@{offset} was handed to a handler a second time");
        }
    }

    /// <summary>The engine's settings for this pipeline.</summary>
    public ProcessorOptions Adjust(ProcessorOptions options) => Kind switch
    {
        Pipeline.Batches => options with { Batch = new BatchOptions { MaxMessages = 5, MaxWait = TimeSpan.FromMilliseconds(50) } },
        // Each failed attempt goes to the next retry topic at once, so retry topics carry traffic.
        Pipeline.RetryTopics => options with { OnFailure = FailureAction.RetryTopics, RetryTopics = RetryLedger.Options, Retry = options.Retry with { MaxAttempts = 1 } },
        Pipeline.AtMostOnce => options with { Guarantee = DeliveryGuarantee.AtMostOnce, CommitMode = OffsetCommitMode.Synchronous },
        // A commit waits for every running handler (the gate): longer than the slowest handler with
        // late acknowledgements (6 s + 5 s), or a gate that times out and opens again lets new slow
        // handlers start, and commits can starve (seeds 6, 7, 10 at 3 s).
        Pipeline.ExactlyOnce or Pipeline.ExactlyOnceAnyOrdering => options with
        {
            Guarantee = DeliveryGuarantee.ExactlyOnce,
            TransactionalId = "sim-tx",
            CommitMode = OffsetCommitMode.Synchronous,
            // Key or unordered ordering finishes messages above unfinished ones: the transaction
            // must carry them in its offsets' metadata. Partition ordering runs without (the
            // offsets alone, through Confluent.Kafka's call in production).
            PersistCompletions = Kind == Pipeline.ExactlyOnceAnyOrdering,
            RevokeTimeout = TimeSpan.FromSeconds(12),
        },
        _ => options,
    };
}

namespace Conveyor.Simulation.Pipelines;

/// <summary>What the simulated processor is: which of the engine's pipelines a schedule runs.</summary>
internal enum Pipeline
{
    /// <summary>A handler that finishes its message (at-least-once, the consumer's commits).</summary>
    Plain,

    /// <summary>A forwarder's pipelined outputs: the real <c>OutputProducer</c> and <c>OutputDelivery</c> on a simulated producer; an input finishes once all its outputs are acknowledged.</summary>
    Forwarding,

    /// <summary><c>DeliveryGuarantee.AtMostOnce</c>: each fetched batch committed before it is handled.</summary>
    AtMostOnce,

    /// <summary>An exactly-once forwarder: the real <c>TransactionCoordinator</c>, <c>TransactionGate</c> and <c>TransactionalCommits</c> on a simulated transactional producer.</summary>
    ExactlyOnce,

    /// <summary>A batch processor: the dispatcher hands out runs of one partition's messages (up to 5, or after 50 ms) and the real <c>BatchExecutor</c> calls the handler once per run.</summary>
    Batches,

    /// <summary>
    /// Exactly-once under the schedule's ordering (key, partition or unordered), with persisted
    /// completions. Messages finish above unfinished ones, so the transaction's offsets carry them
    /// in their metadata; without that (<c>--bug TransactionOffsetsWithoutCompletions</c>) seeds
    /// 1, 4, 9 fail with "duplicate-outputs". Of 20,000 seeds one, 5524, fails its progress bound
    /// (a poison message's attempts start again at every abort: see the README).
    /// </summary>
    ExactlyOnceAnyOrdering,

    /// <summary>
    /// Retry topics (<c>FailureAction.RetryTopics</c>): a failed message goes through two retry
    /// topics (1 s, 2 s), then to the dead-letter topic, written by the real
    /// <c>DeadLetterPublisher</c> and read back by the same engine, which waits for each record's
    /// due time (<c>RetryTopicWaits</c>). Never in the CI seed set; <c>RetryTopicTests</c> runs seeds
    /// of its own (<c>--pipeline RetryTopics</c>).
    /// </summary>
    RetryTopics,
}

/// <summary>A schedule's pipeline from its seed alone (a hash apart from the schedule's random stream, so the rest of the schedule stays as it was).</summary>
internal static class PipelinePlan
{
    /// <summary>Whether the pipeline is an exactly-once forwarder (<see cref="Pipeline.ExactlyOnce"/> runs under partition ordering only, which finishes each partition's messages in order).</summary>
    public static bool IsExactlyOnce(this Pipeline pipeline) => pipeline is Pipeline.ExactlyOnce or Pipeline.ExactlyOnceAnyOrdering;

    public static Pipeline For(int seed) => (MessagePlan.Roll(seed, 0x5049_5045) % 100) switch
    {
        < 40 => Pipeline.Plain,
        < 62 => Pipeline.Forwarding,
        < 75 => Pipeline.AtMostOnce,
        < 81 => Pipeline.ExactlyOnce,
        < 88 => Pipeline.ExactlyOnceAnyOrdering,
        _ => Pipeline.Batches,
    };
}

namespace Conveyor.Cli.Tutorial;

/// <summary>How the tutorial consumer commits offsets.</summary>
internal enum CommitMode
{
    /// <summary>Conveyor's engine: concurrent, retries, dead-letter topic; commits only offsets below which everything is finished.</summary>
    Engine,

    /// <summary>librdkafka stores each offset as it is consumed and commits every 5 s: a crash can lose what was consumed but not processed.</summary>
    Auto,

    /// <summary>Commit each message after it was processed (at-least-once); a failed message stops the consumer uncommitted.</summary>
    Manual,
}

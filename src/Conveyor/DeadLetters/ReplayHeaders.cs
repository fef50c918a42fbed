namespace Conveyor.DeadLetters;

/// <summary>The headers <c>conveyor dlq replay</c> adds to a replayed message (UTF-8 text).</summary>
internal static class ReplayHeaders
{
    /// <summary>Every header whose name starts with this is dropped from a replayed message: the failure it describes is over.</summary>
    public const string ConveyorPrefix = "conveyor.";

    /// <summary>Where the message was replayed from: <c>topic/partition/offset</c> of the dead letter.</summary>
    public const string ReplayedFrom = "conveyor.replayed.from";

    /// <summary>When it was replayed, ISO 8601.</summary>
    public const string ReplayedAt = "conveyor.replayed.at";
}

namespace Conveyor.Processing.Engine;

/// <summary>Why a message failed for good, as the dead-letter headers tell it.</summary>
/// <param name="Exception">The last exception.</param>
/// <param name="Attempts">Handler attempts made (0 when the message could not even be deserialized).</param>
/// <param name="Kind"><c>handler</c>, <c>deserialization</c> or <c>output</c> (its outputs could not be written).</param>
/// <param name="GroupId">The consumer group that failed it.</param>
/// <param name="FailedAt">When it failed for good.</param>
internal sealed record FailureRecord(Exception Exception, int Attempts, string Kind, string GroupId, DateTimeOffset FailedAt);

namespace Conveyor.Lag;

/// <summary>How many members a group has, as DescribeGroups told, or why the cluster could not tell.</summary>
/// <param name="Count">The number of members; null when the cluster could not tell.</param>
/// <param name="Unknown">Why it could not tell, in its or librdkafka's words (<see cref="DescribeGroupsFailure.Cause"/>); null when it told.</param>
internal sealed record GroupMembers(int? Count, string? Unknown);
